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

 private:
  explicit TestCerts(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
};

}  // namespace mmresync::testing
