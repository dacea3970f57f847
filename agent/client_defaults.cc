#include "agent/client_defaults.h"
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace mmresync::agent {
namespace {

// Option-file values are double-quoted; the parser understands these escapes.
std::string Quoted(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
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
        out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string ClientDefaultsText(const DbConnectParams& params) {
  std::string text = "[client]\n";
  absl::StrAppend(&text, "user=", Quoted(params.user), "\n");
  if (!params.password.empty()) absl::StrAppend(&text, "password=", Quoted(params.password), "\n");
  if (!params.socket.empty()) {
    absl::StrAppend(&text, "socket=", Quoted(params.socket), "\nprotocol=socket\n");
  } else {
    absl::StrAppend(&text, "host=", Quoted(params.host), "\nport=", params.port,
                    "\nprotocol=tcp\n");
  }
  return text;
}

absl::StatusOr<PrivateFile> WriteClientDefaults(const std::string& dir,
                                                const DbConnectParams& params) {
  return PrivateFile::Create(dir, "client-defaults-", ClientDefaultsText(params));
}

}  // namespace mmresync::agent
