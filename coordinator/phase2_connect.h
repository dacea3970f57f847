#pragma once

// Phase 2's connect of a source whose GTID position is raised to its own newest GTIDs
// (RaiseToOwnBinlog: gtid_strict_mode or current_pos), so that no caller of phase 2 can
// leave the source's replica asking the target for a GTID the target never binlogged.

#include <string>

#include "absl/status/status.h"
#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

// CHANGE MASTER on the source (its agent raises the position), a wait until the target
// serves that position, START SLAVE on the source. With `strict` (the source's
// gtid_strict_mode), a raised GTID the target holds in its data only (GtidsInDataOnly:
// the source wrote nothing in that domain since the snapshot) is accepted by MariaDB only
// while it is exactly the target's replica position when the source connects; one write
// on the source replicated to the target before that connect breaks the source's replica
// for good ("missing the GTID", 1236). So the target's replica is stopped around that
// connect: the source starts while the target holds that position, and once the source's
// IO thread has been answered (WaitReplicaRunning) the target's replica starts again. If
// the target moved past it before being stopped (the source wrote meanwhile), or a
// current_pos source asked the stopped target for a GTID written since (1236), the
// position is raised again, at most kRaiseAttempts times.
inline constexpr int kRaiseAttempts = 5;
absl::Status ConnectRaisedSource(RunContext& ctx, const std::string& use_gtid,
                                 const std::string& target_gtid, bool strict);

}  // namespace mmresync::coordinator
