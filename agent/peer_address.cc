#include "agent/peer_address.h"

#include <arpa/inet.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mmresync::agent {

absl::StatusOr<std::string> PeerIp(absl::string_view grpc_peer) {
  absl::string_view rest = grpc_peer;
  if (absl::ConsumePrefix(&rest, "ipv4:")) {
    const size_t colon = rest.rfind(':');
    if (colon != absl::string_view::npos && colon > 0) return std::string(rest.substr(0, colon));
  } else if (absl::ConsumePrefix(&rest, "ipv6:") && absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find(']');
    if (close != absl::string_view::npos && close > 0) return std::string(rest.substr(0, close));
  }
  return absl::InvalidArgumentError(absl::StrCat("not an IP peer: \"", grpc_peer, "\""));
}

absl::StatusOr<bool> PeerIsThisHost(absl::string_view grpc_peer, InterfaceAddresses& addrs) {
  auto ip = PeerIp(grpc_peer);
  if (!ip.ok()) return ip.status();
  std::string bare = ip->substr(0, ip->find('%'));
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, bare.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) return true;
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // IPv4-mapped (::ffff:a.b.c.d): compare the IPv4 address.
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      char text[INET_ADDRSTRLEN];
      if (inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text) != nullptr) {
        bare = text;
        if (absl::StartsWith(bare, "127.")) return true;
      }
    }
  }
  return VipIsLocal(bare, addrs);
}

}  // namespace mmresync::agent
