#include "tests/harness/test_certs.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/cert_authority.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/tls.h"

namespace mmresync::testing {
namespace {

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

absl::Status IssueAgent(const std::string& dir, const std::string& name) {
  ASSIGN_OR_RETURN(std::string uri, RoleUriFor("agent", name));
  IssueOptions o;
  o.ca_cert_path = dir + "/ca.pem";
  o.ca_key_path = dir + "/ca.key";
  o.cert_path = absl::StrCat(dir, "/", name, ".pem");
  o.key_path = absl::StrCat(dir, "/", name, ".key");
  o.role_uri = uri;
  o.dns_names = {"localhost"};
  o.ip_addresses = {"127.0.0.1"};
  return Annotate(IssueCertificate(o), absl::StrCat("agent certificate ", name));
}

absl::Status IssueCoordinator(const std::string& ca_dir, const std::string& prefix,
                              int not_before_offset_days, int days,
                              const std::vector<std::string>& extra_uris = {}) {
  IssueOptions o;
  o.any_profile_for_tests = !extra_uris.empty();
  o.extra_uris_for_tests = extra_uris;
  o.ca_cert_path = ca_dir + "/ca.pem";
  o.ca_key_path = ca_dir + "/ca.key";
  o.cert_path = prefix + ".pem";
  o.key_path = prefix + ".key";
  o.role_uri = kCoordinatorUri;
  o.not_before_offset_days = not_before_offset_days;
  o.days = days;
  return Annotate(IssueCertificate(o), absl::StrCat("coordinator certificate ", o.cert_path));
}

}  // namespace

absl::StatusOr<TestCerts> TestCerts::Create(const std::string& dir,
                                            const std::vector<std::string>& agent_names) {
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  TestCerts certs(dir);
  RETURN_IF_ERROR(Annotate(CreateCa(certs.ca_cert(), certs.ca_key(), "mmresync test CA", 3650),
                           "test CA in " + dir));
  RETURN_IF_ERROR(IssueCoordinator(dir, dir + "/coordinator", 0, 365));
  for (const std::string& name : agent_names) RETURN_IF_ERROR(IssueAgent(dir, name));
  return certs;
}

TlsFiles TestCerts::Coordinator() const {
  return TlsFiles{ca_cert(), dir_ + "/coordinator.pem", dir_ + "/coordinator.key"};
}

TlsFiles TestCerts::Agent(const std::string& name) const {
  return TlsFiles{ca_cert(), absl::StrCat(dir_, "/", name, ".pem"),
                  absl::StrCat(dir_, "/", name, ".key")};
}

absl::StatusOr<TlsFiles> TestCerts::ForeignCoordinator() const {
  const std::string other = dir_ + "/other-ca";
  if (!Exists(other + "/coordinator.pem")) {
    RETURN_IF_ERROR(MakeDirs(other, 0700));
    if (!Exists(other + "/ca.key")) {
      RETURN_IF_ERROR(Annotate(CreateCa(other + "/ca.pem", other + "/ca.key", "another CA", 30),
                               "second CA in " + other));
    }
    RETURN_IF_ERROR(IssueCoordinator(other, other + "/coordinator", 0, 30));
  }
  // Trusts the cluster CA (so the agent's certificate verifies) but presents a
  // certificate the cluster CA never issued.
  return TlsFiles{ca_cert(), other + "/coordinator.pem", other + "/coordinator.key"};
}

absl::StatusOr<TlsFiles> TestCerts::CoordinatorVariant(
    const std::string& file_name, int not_before_offset_days, int days,
    const std::vector<std::string>& extra_uris) const {
  const std::string prefix = absl::StrCat(dir_, "/", file_name);
  if (!Exists(prefix + ".pem")) {
    RETURN_IF_ERROR(IssueCoordinator(dir_, prefix, not_before_offset_days, days, extra_uris));
  }
  return TlsFiles{ca_cert(), prefix + ".pem", prefix + ".key"};
}

absl::StatusOr<TlsFiles> TestCerts::ExpiredCoordinator() const {
  // Valid for one day, ten days ago.
  return CoordinatorVariant("expired-coordinator", -10, 1, {});
}

absl::StatusOr<TlsFiles> TestCerts::NotYetValidCoordinator() const {
  // Valid for thirty days from a week on (more than any clock skew allowance).
  return CoordinatorVariant("not-yet-valid-coordinator", 7, 30, {});
}

absl::StatusOr<TlsFiles> TestCerts::CoordinatorWithUris(
    const std::string& file_name, const std::vector<std::string>& extra_uris) const {
  return CoordinatorVariant(file_name, 0, 30, extra_uris);
}

absl::StatusOr<TlsFiles> TestCerts::AgentCertificate(const std::string& name) const {
  if (!Exists(absl::StrCat(dir_, "/", name, ".pem"))) RETURN_IF_ERROR(IssueAgent(dir_, name));
  return Agent(name);
}

}  // namespace mmresync::testing
