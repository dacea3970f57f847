#include "agent/client_defaults.h"
#include "absl/strings/string_view.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mmresync::agent {
namespace {

constexpr char kPrefix[] = "client-defaults-";

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
  return PrivateFile::Create(dir, kPrefix, ClientDefaultsText(params));
}

absl::StatusOr<int> RemoveStaleClientDefaults(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("list ", dir, " for stale client-defaults files: ", ec.message()));
  }
  int removed = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // PrivateFile::Create's names: the prefix and mkostemp's six characters.
    if (!absl::StartsWith(name, kPrefix) || name.size() != std::strlen(kPrefix) + 6) continue;
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    if (::unlink(it->path().c_str()) != 0) {
      return absl::InternalError(
          absl::StrCat("remove stale ", it->path().string(), ": ", std::strerror(errno)));
    }
    ++removed;
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", dir, ": ", ec.message()));
  return removed;
}

}  // namespace mmresync::agent
