#pragma once

// `mmresync certs init` and `mmresync certs issue` (DESIGN.md, "Certificates and
// roles"). Both print what they wrote on stdout and errors on stderr, and return the
// process exit code: 0 done, 1 the operation failed, 2 usage error.

#include <string>
#include <vector>

namespace mmresync::coordinator {

inline constexpr int kDefaultCaDays = 3650;
inline constexpr int kDefaultCertDays = 365;

// Creates `dir` (0700, parents as needed) holding a new CA: ca.pem and ca.key. Refuses
// (exit 1) when dir/ca.key exists.
int RunCertsInit(const std::string& dir, int days = kDefaultCaDays);

// Issues a certificate from the CA in `dir` for `role` "coordinator" or "agent" (then
// `name` is the node name). Each of `sans` that parses as an IPv4/IPv6 literal becomes
// an IP SAN, any other a DNS SAN; an agent needs at least one, the address it is
// reached at; a coordinator none (it is never a server), and wildcards are refused.
// Writes <out_prefix>.pem and <out_prefix>.key; an empty `out_prefix` means dir/<name>
// for an agent and dir/coordinator for the coordinator. An existing key is replaced only
// with `force` (exit 1 otherwise, nothing written).
int RunCertsIssue(const std::string& dir, const std::string& role, const std::string& name,
                  const std::vector<std::string>& sans, const std::string& out_prefix,
                  int days = kDefaultCertDays, bool force = false);

}  // namespace mmresync::coordinator
