#pragma once

// A small certificate authority for `mmresync certs init|issue` (DESIGN.md,
// "Certificates and roles"): EC P-256 keys, SHA-256 signatures, the role in a URI
// subjectAltName. Any other CA issuing the same SANs works as well; nothing else in
// mmresync depends on certificates having been made here.

#include <string>
#include <string_view>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mmresync {

// Creates a self-signed CA certificate (basicConstraints critical CA:TRUE, keyUsage
// keyCertSign+cRLSign, subjectKeyIdentifier) valid for `days` days, and its key.
// Fails with AlreadyExists when `key_path` exists: a CA key is never overwritten, since
// every certificate it issued would be orphaned. The key file is created 0600, the
// certificate 0644.
absl::Status CreateCa(const std::string& cert_path, const std::string& key_path,
                      const std::string& common_name, int days);

struct IssueOptions {
  std::string ca_cert_path;
  std::string ca_key_path;
  std::string cert_path;  // written 0644 (replaced when present)
  std::string key_path;   // written 0600; AlreadyExists when present unless overwrite_key
  bool overwrite_key = false;
  std::string role_uri;  // kCoordinatorUri or kAgentUriPrefix + node name
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // IPv4 or IPv6 literals
  int days = 365;                         // leaves: one year, as current practice has it
  // Shifts the validity window; tests use it to make an expired certificate (e.g.
  // -10 with days = 1).
  int not_before_offset_days = 0;
  // Tests only: issue the role URI with both extended key usages and any names (the
  // hostile certificates the security tests need, e.g. a coordinator posing as an agent).
  bool any_profile_for_tests = false;
  // Tests only (needs any_profile_for_tests): more URI SANs after role_uri, e.g. a second
  // role or a corporate PKI's own URI, for the security matrix.
  std::vector<std::string> extra_uris_for_tests;
};

// Issues a leaf certificate (basicConstraints CA:FALSE, authorityKeyIdentifier, a random
// 128-bit serial) with subjectAltName URI:role_uri plus the DNS and IP entries, and a new
// key. Agents get extendedKeyUsage serverAuth + clientAuth; coordinators clientAuth only
// and no DNS/IP names (InvalidArgument when asked for some). Wildcard DNS names are
// refused. An existing key file is not replaced unless `overwrite_key`.
// The common name is the role: "coordinator" or the agent's node name. The validity
// starts an hour in the past to tolerate clock skew between hosts.
absl::Status IssueCertificate(const IssueOptions& options);

// The role URI for `role` "coordinator" (name ignored) or "agent" (name validated as a
// node name); InvalidArgument otherwise.
absl::StatusOr<std::string> RoleUriFor(std::string_view role, std::string_view name);

}  // namespace mmresync
