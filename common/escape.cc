#include "common/escape.h"

#include "absl/strings/str_format.h"

namespace mmresync {
namespace {

std::string Escape(absl::string_view text, bool keep_layout) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (keep_layout && (c == '\n' || c == '\t')) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      absl::StrAppendFormat(&out, "\\x%02x\\x%02x", c, static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace

std::string EscapeUntrusted(absl::string_view text) { return Escape(text, false); }

std::string EscapeTerminalText(absl::string_view text) { return Escape(text, true); }

void WriteTerminal(std::FILE* out, absl::string_view text) {
  const std::string safe = EscapeTerminalText(text);
  std::fwrite(safe.data(), 1, safe.size(), out);
}

}  // namespace mmresync
