#pragma once

// One logging approach for the whole project (Debian's Abseil has no absl/log): lines
// on stderr with a UTC timestamp and the program's name. Never pass secrets to these.
// One entry is one line: the message goes through EscapeUntrusted() (common/escape.h),
// so a newline or escape sequence from a peer or the database cannot forge a line.

#include <string_view>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace mmresync::log {

enum class Level { kDebug, kInfo, kWarning, kError };

void SetProgramName(absl::string_view name);
void SetMinLevel(Level level);
void Write(Level level, absl::string_view message);

template <typename... Args>
void Info(const Args&... args) {
  Write(Level::kInfo, absl::StrCat(args...));
}
template <typename... Args>
void Warning(const Args&... args) {
  Write(Level::kWarning, absl::StrCat(args...));
}
template <typename... Args>
void Error(const Args&... args) {
  Write(Level::kError, absl::StrCat(args...));
}
template <typename... Args>
void Debug(const Args&... args) {
  Write(Level::kDebug, absl::StrCat(args...));
}

}  // namespace mmresync::log
