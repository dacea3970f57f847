#pragma once

// Test certificates for integration tests, made with the product's own CA code
// (common/cert_authority.h), in one directory:
//
//   <dir>/ca.pem, ca.key                   the cluster CA
//   <dir>/coordinator.pem, .key            URI urn:mmresync:coordinator
//   <dir>/<agent>.pem, .key                URI urn:mmresync:agent:<agent>, SAN IP 127.0.0.1
//                                          and DNS localhost (what the agents listen on)
//   <dir>/other-ca/...                     a second, unrelated CA and a coordinator
//                                          certificate it issued (ForeignCoordinator)
//   <dir>/expired-coordinator.pem, .key    issued by the cluster CA, expired
//   <dir>/not-yet-valid-coordinator...     issued by the cluster CA, valid from next week
//   <dir>/<file>.pem, .key                 other variants made on first use (below)
//
// Not thread-safe; the files stay until the directory is removed.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config.h"

namespace mmresync::testing {

class TestCerts {
 public:
  // Creates the CA, the coordinator certificate and one agent certificate per name.
  static absl::StatusOr<TestCerts> Create(const std::string& dir,
                                          const std::vector<std::string>& agent_names = {"db1",
                                                                                         "db2"});

  const std::string& dir() const { return dir_; }
  std::string ca_cert() const { return dir_ + "/ca.pem"; }
  std::string ca_key() const { return dir_ + "/ca.key"; }

  // The coordinator's identity, as a cluster.toml [tls] section names it.
  TlsFiles Coordinator() const;
  // An agent's identity (cert and key of that node, the cluster CA).
  TlsFiles Agent(const std::string& name) const;

  // A coordinator certificate from another CA (created on first use), presented with
  // the cluster CA as trust anchor: the client trusts the agents, but the agents must
  // not trust it.
  absl::StatusOr<TlsFiles> ForeignCoordinator() const;
  // A coordinator certificate from the cluster CA whose validity ended days ago
  // (created on first use).
  absl::StatusOr<TlsFiles> ExpiredCoordinator() const;
  // A coordinator certificate from the cluster CA whose validity starts days from now.
  absl::StatusOr<TlsFiles> NotYetValidCoordinator() const;
  // A coordinator certificate from the cluster CA that carries `extra_uris` as further
  // URI SANs (a second role, a corporate PKI's own URI), in <dir>/<file_name>.pem.
  absl::StatusOr<TlsFiles> CoordinatorWithUris(const std::string& file_name,
                                               const std::vector<std::string>& extra_uris) const;
  // An agent certificate from the cluster CA for `name` (created on first use), e.g. a
  // node outside the pair.
  absl::StatusOr<TlsFiles> AgentCertificate(const std::string& name) const;

 private:
  explicit TestCerts(std::string dir) : dir_(std::move(dir)) {}
  // <dir>/<file_name>.pem, .key: a coordinator certificate from the cluster CA, made on
  // first use with these validity and extra URIs.
  absl::StatusOr<TlsFiles> CoordinatorVariant(const std::string& file_name,
                                              int not_before_offset_days, int days,
                                              const std::vector<std::string>& extra_uris) const;

  std::string dir_;
};

}  // namespace mmresync::testing
