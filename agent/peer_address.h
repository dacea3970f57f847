#pragma once

// Where a gRPC call comes from, as an address we can compare: compression "auto" is off
// between agents on one host (a loopback link is never the bottleneck, and probing it
// compressed would only take CPU from the two servers).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/vip.h"

namespace mmresync::agent {

// The numeric address in a gRPC peer string: "ipv4:10.0.0.2:5000" -> "10.0.0.2",
// "ipv6:[fe80::1%eth0]:5000" -> "fe80::1%eth0". Anything else (unix sockets, garbage):
// InvalidArgument.
absl::StatusOr<std::string> PeerIp(absl::string_view grpc_peer);

// Whether the call came from this host: a loopback address or one of its own.
absl::StatusOr<bool> PeerIsThisHost(absl::string_view grpc_peer, InterfaceAddresses& addrs);

}  // namespace mmresync::agent
