#pragma once

// How each node of the pair replicates (file/position or MariaDB GTID, and which GTID
// position), read before a run and re-established by its phases: a re-seed must not turn
// a GTID pair into a file/position one. Pure functions over what the agents reported.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gtid_list.h"
#include "mmresync/v1/agent.pb.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

// The node's mode from SHOW SLAVE STATUS's Using_Gtid ("No" | "Slave_Pos" |
// "Current_Pos"; use_gtid "" when it has no replica configured), gtid_domain_id and
// gtid_strict_mode.
v1::ReplicationMode ModeOf(const v1::NodeStatus& status);

// The MASTER_USE_GTID a node gets when it is pointed at its peer again: its own recorded
// mode; when it had no replica configured (reset by hand), its peer's; "no" when neither
// had one. Journals from before modes were recorded give "no", as those runs did.
std::string UseGtidFor(const v1::ReplicationMode& node, const v1::ReplicationMode& peer);

bool IsGtid(const std::string& use_gtid);

// What of `position` (a GTID list a replica of `node` will ask it to start after) `node`
// cannot serve yet, as "D-S-N" entries; empty when it can serve all of it. A GTID is
// served when the node's binlog holds that server's GTIDs in its domain up to it
// (@@gtid_binlog_state), or when it is exactly the node's own replica position in that
// domain (MariaDB starts a replica there even if the node never binlogged it: the
// snapshot's GTID, which a re-seeded node holds in its data only), or when the node does
// not log what it applies (log_slave_updates OFF) and its binlog has nothing in that
// domain, which is not its own: it never will, and MariaDB starts a replica on such an
// empty domain. An unreadable state list is an error naming the node.
absl::StatusOr<std::vector<std::string>> GtidsNotYetServed(const v1::NodeStatus& node,
                                                           const std::vector<Gtid>& position);

// The entries of `position` (the source's GTID position, raised to its own newest GTIDs)
// that the re-seeded target may hold in its data but not in its binlog: the source's own
// GTIDs (`source_server_id`) at or before the snapshot's GTID in their domain, which the
// import put there unlogged. MariaDB starts a replica at such a GTID only while it is
// exactly the target's own replica position in that domain; once the target has applied
// and binlogged the source's next GTID, a gtid_strict_mode source asking for it gets 1236
// "missing the GTID ... (even though both a prior and a subsequent sequence number does
// exist)". What MariaDB decides at the connect holds for that connection.
std::vector<Gtid> GtidsInDataOnly(const std::vector<Gtid>& position,
                                  const std::vector<Gtid>& snapshot, uint32_t source_server_id);

// "file/position", "GTID slave_pos (domain 1, strict)", "not replicating".
std::string DescribeMode(const v1::ReplicationMode& mode);

}  // namespace mmresync::coordinator
