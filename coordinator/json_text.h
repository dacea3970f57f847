#pragma once

// The one JSON string quoting the coordinator's --json outputs use (messages carry
// quotes, backslashes, newlines and server error text).

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace mmresync::coordinator {

// The version of the documented JSON of `status`, `plan`, `recover` (each event line),
// `verify` and `history` --json (README, "JSON output"): every object carries it as
// "schema_version". Raised when a key is removed or changes meaning; adding keys keeps it.
inline constexpr int kJsonSchemaVersion = 1;

inline std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace mmresync::coordinator
