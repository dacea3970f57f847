#pragma once

// Untrusted text made inert before it reaches a log line or a terminal. Names and error
// text from a peer or from the database (schema, table and user names, lease holder
// strings, MariaDB's messages) may hold newlines that forge log lines or escape
// sequences that rewrite the operator's terminal. The sinks (common/log.cc, the
// coordinator's terminal output) pass everything through these functions; a caller
// never needs to remember to.

#include <cstdio>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace mmresync {

// Every C0 control character (newline and tab included), DEL, and the UTF-8 encoded C1
// controls (U+0080..U+009F, e.g. the one-byte CSI U+009B) written as \xNN per byte.
// Everything else, valid UTF-8 or not, passes unchanged.
std::string EscapeUntrusted(absl::string_view text);

// The same, but newlines and tabs pass: for multi-line text our own code laid out.
std::string EscapeTerminalText(absl::string_view text);

// Writes EscapeTerminalText(text) to `out`.
void WriteTerminal(std::FILE* out, absl::string_view text);

// printf for the terminal: formats, then writes through WriteTerminal.
template <typename... Args>
void PrintTerminal(std::FILE* out, const absl::FormatSpec<Args...>& format, const Args&... args) {
  WriteTerminal(out, absl::StrFormat(format, args...));
}

}  // namespace mmresync
