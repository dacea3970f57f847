#include "coordinator/certs_command.h"
#include "absl/strings/string_view.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cert_authority.h"

namespace mmresync::coordinator {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "mmresync certs: %s\n", std::string(status.message()).c_str());
  // A bad argument or a missing/unreadable CA is the caller's to fix: usage/config.
  return status.code() == absl::StatusCode::kInvalidArgument ||
                 status.code() == absl::StatusCode::kNotFound
             ? kExitUsage
             : kExitFailed;
}

int Usage(std::string_view message) {
  std::fprintf(stderr, "mmresync certs: %s\n", std::string(message).c_str());
  return kExitUsage;
}

bool IsIpLiteral(const std::string& value) {
  unsigned char buf[16];
  return inet_pton(AF_INET, value.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, value.c_str(), buf) == 1;
}

// Creates `dir` with mode 0700 when missing (parents as needed, with the default mode).
absl::Status EnsurePrivateDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return absl::OkStatus();
  std::filesystem::path path(dir);
  if (path.has_parent_path() && !path.parent_path().empty()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("create directory ", path.parent_path().string(), ": ", ec.message()));
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("create directory ", dir, ": ", std::strerror(errno)));
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return absl::InternalError(absl::StrCat("chmod directory ", dir, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

int RunCertsInit(const std::string& dir, int days) {
  if (dir.empty()) return Usage("--dir is required");
  absl::Status status = EnsurePrivateDir(dir);
  if (!status.ok()) return Fail(status);
  const std::string cert = (std::filesystem::path(dir) / "ca.pem").string();
  const std::string key = (std::filesystem::path(dir) / "ca.key").string();
  status = CreateCa(cert, key, "mmresync CA", days);
  if (!status.ok()) return Fail(status);
  std::printf("wrote %s (CA certificate, valid %d days)\n", cert.c_str(), days);
  std::printf("wrote %s (CA private key, mode 0600: keep it off the database hosts)\n",
              key.c_str());
  return 0;
}

int RunCertsIssue(const std::string& dir, const std::string& role, const std::string& name,
                  const std::vector<std::string>& sans, const std::string& out_prefix, int days,
                  bool force) {
  if (dir.empty()) return Usage("--dir is required");
  auto uri = RoleUriFor(role, name);
  if (!uri.ok()) return Fail(uri.status());

  IssueOptions options;
  options.ca_cert_path = (std::filesystem::path(dir) / "ca.pem").string();
  options.ca_key_path = (std::filesystem::path(dir) / "ca.key").string();
  options.role_uri = *uri;
  options.days = days;
  for (const std::string& san : sans) {
    if (san.empty()) return Usage("--san must not be empty");
    (IsIpLiteral(san) ? options.ip_addresses : options.dns_names).push_back(san);
  }
  if (role == "coordinator" && !sans.empty()) {
    return Usage(
        "a coordinator certificate carries no --san: it only ever dials, and host names "
        "would let it pose as an agent");
  }
  if (role == "agent" && sans.empty()) {
    return Usage(
        "an agent certificate needs at least one --san: the DNS name or IP address the "
        "coordinator and the peer agent use to reach it");
  }
  std::string prefix = out_prefix;
  if (prefix.empty()) {
    prefix = (std::filesystem::path(dir) / (role == "agent" ? name : std::string("coordinator")))
                 .string();
  }
  options.cert_path = prefix + ".pem";
  options.key_path = prefix + ".key";
  options.overwrite_key = force;

  absl::Status status = IssueCertificate(options);
  if (!status.ok()) return Fail(status);
  std::vector<std::string> san_text = {absl::StrCat("URI:", *uri)};
  for (const auto& d : options.dns_names) san_text.push_back(absl::StrCat("DNS:", d));
  for (const auto& i : options.ip_addresses) san_text.push_back(absl::StrCat("IP:", i));
  std::printf("wrote %s (certificate, valid %d days, subjectAltName %s)\n",
              options.cert_path.c_str(), days, absl::StrJoin(san_text, ", ").c_str());
  std::printf("wrote %s (private key, mode 0600)\n", options.key_path.c_str());
  return 0;
}

}  // namespace mmresync::coordinator
