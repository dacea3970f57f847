#pragma once

// Is the VIP on one of this host's interfaces? Discover reports it, fencing confirms the
// target no longer holds it, and the agent refuses destructive actions while it does
// (DESIGN.md, safety invariants). The answer comes from the kernel (getifaddrs), never
// from parsing `ip` output.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mmresync::agent {

// The numeric addresses (IPv4 and IPv6, no prefix length, no scope) on local
// interfaces. An interface so tests can fake the host.
class InterfaceAddresses {
 public:
  virtual ~InterfaceAddresses() = default;
  virtual absl::StatusOr<std::vector<std::string>> List() = 0;
};

// getifaddrs(): every AF_INET and AF_INET6 address on every interface, whether the
// interface is up or not (an assigned VIP counts as held; erring that way keeps
// destructive actions off a node that might hold it), formatted with inet_ntop, in
// kernel order without duplicates. Thread-safe.
class KernelInterfaceAddresses : public InterfaceAddresses {
 public:
  absl::StatusOr<std::vector<std::string>> List() override;
};

// Whether `vip` is one of addrs.List(). Addresses are compared in binary form
// (inet_pton), so "::1" matches "0:0::1" and case does not matter; an IPv4 VIP never
// matches an IPv6 address (IPv4-mapped forms included). Empty `vip` (none configured):
// false. A `vip` that is not a numeric IPv4/IPv6 address (host names and "/24" suffixes
// included): InvalidArgument. Listed entries may carry a "%scope" suffix, which is
// ignored; entries that do not parse are skipped.
absl::StatusOr<bool> VipIsLocal(const std::string& vip, InterfaceAddresses& addrs);

}  // namespace mmresync::agent
