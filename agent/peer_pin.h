#pragma once

// The agent pins its peer ([peer] in agent.toml): replication on this node is only ever
// pointed at the other node of the pair, whoever asks. Without it a caller holding a
// coordinator certificate could make the master replicate from a server it controls
// (a DROP DATABASE there would then run on the master) and receive the replication
// password on the way.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "agent/db_session.h"
#include "common/config.h"

namespace mmresync::agent {

// Whether host:port names the peer's MariaDB server. IP literals compare in binary form
// ("::1" equals "0:0::1"); host names compare case-insensitively; an IP literal never
// equals a host name: the agent does not resolve names, DNS is not evidence.
bool IsPinnedPeer(const PeerSettings& peer, absl::string_view host, uint32_t port);

// CHANGE MASTER to host:port: PermissionDenied unless it is the peer (never allowed,
// whatever the node's state).
absl::Status CheckMasterIsPeer(const PeerSettings& peer, absl::string_view host, uint32_t port);

// START SLAVE: the master this server is configured with (SHOW SLAVE STATUS) must be the
// peer; FailedPrecondition otherwise (someone pointed it elsewhere by hand: fix that).
absl::Status CheckConfiguredMasterIsPeer(DbSession& session, const PeerSettings& peer);

// A node named in a transfer (the import's source, the dump's recipient) must be the
// peer. `field` names the request field for the message.
absl::Status CheckPeerNode(const PeerSettings& peer, absl::string_view field,
                           absl::string_view node);

}  // namespace mmresync::agent
