#include "agent/peer_pin.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ip_address.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

bool IsIpLiteral(absl::string_view s) {
  const std::string_view v(s.data(), s.size());
  return SameIpAddress(v, v);
}

std::string Describe(absl::string_view host, uint32_t port) {
  return host.find(':') != absl::string_view::npos ? absl::StrCat("[", host, "]:", port)
                                                   : absl::StrCat(host, ":", port);
}

std::string PeerText(const PeerSettings& peer) {
  return absl::StrCat("its pinned peer ", peer.name, " at ",
                      Describe(peer.mariadb_host, peer.mariadb_port), " ([peer] in agent.toml)");
}

}  // namespace

bool IsPinnedPeer(const PeerSettings& peer, absl::string_view host, uint32_t port) {
  if (port != peer.mariadb_port || host.empty()) return false;
  const absl::string_view pinned = peer.mariadb_host;
  if (IsIpLiteral(host) || IsIpLiteral(pinned)) {
    return SameIpAddress(std::string_view(host.data(), host.size()),
                         std::string_view(pinned.data(), pinned.size()));
  }
  return absl::EqualsIgnoreCase(host, pinned);
}

absl::Status CheckMasterIsPeer(const PeerSettings& peer, absl::string_view host, uint32_t port) {
  if (IsPinnedPeer(peer, host, port)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("refusing CHANGE MASTER to ", Describe(host, port),
                   ": this node replicates only from ", PeerText(peer)));
}

absl::Status CheckConfiguredMasterIsPeer(DbSession& session, const PeerSettings& peer) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SHOW SLAVE STATUS"));
  if (rs.empty()) {
    return absl::FailedPreconditionError(
        "refusing START SLAVE: no master is configured (CHANGE MASTER to the peer first)");
  }
  const std::string host = rs.GetOr(0, "Master_Host", "");
  const std::string port_text = rs.GetOr(0, "Master_Port", "");
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      port = 0;
      break;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (IsPinnedPeer(peer, host, port)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("refusing START SLAVE: the configured master is ", Describe(host, port),
                   ", not ", PeerText(peer)));
}

absl::Status CheckPeerNode(const PeerSettings& peer, absl::string_view field,
                           absl::string_view node) {
  if (node == peer.name) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("invalid ", field, ": ", node,
                                                  " is not this node's pinned peer ", peer.name,
                                                  " ([peer] in agent.toml)"));
}

}  // namespace mmresync::agent
