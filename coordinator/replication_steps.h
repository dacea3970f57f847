#pragma once

// The steps that stop replication before the re-seed and point each node at its peer
// after it (phase 1: the target at the source's snapshot; phase 2: the source at the
// target's position). Each builds its ChangeMasterRequest with the functions below, at
// plan time from placeholders and at run time from the recorded values, so `plan` shows
// the statements the agent runs for the request the step sends.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

// "stop-replication": STOP SLAVE on the source first (nothing done on the target may
// replicate back), then STOP SLAVE; RESET SLAVE on the target. Re-run on resume until the
// import is done.
Step StopReplicationStep(const PairFacts& facts);
// "phase1": the target replicates from the source, from the snapshot.
Step Phase1Step(const PairFacts& facts);
// "phase2": the source replicates from the target, from the target's position after the
// import.
Step Phase2Step(const PairFacts& facts);

// Phase 1's CHANGE MASTER on the target: at `snapshot` (use_gtid "no") or at
// `snapshot_gtid` (a GTID mode); with `raise`, the agent raises it to the target's own
// newest GTIDs (RaiseToOwnBinlog with the target's gtid_strict_mode).
v1::ChangeMasterRequest Phase1ChangeMaster(const std::string& run_id, const NodeEntry& source,
                                           const v1::BinlogCoordinates& snapshot,
                                           const std::string& use_gtid,
                                           const std::string& snapshot_gtid, bool raise);
// Phase 2's CHANGE MASTER on the source: at the target's `position` (use_gtid "no") or
// `target_gtid`; with `raise`, the agent raises it to the source's own newest GTIDs.
v1::ChangeMasterRequest Phase2ChangeMaster(const std::string& run_id, const NodeEntry& target,
                                           const v1::BinlogCoordinates& position,
                                           const std::string& use_gtid,
                                           const std::string& target_gtid, bool raise);

// Whether phase 2 raises the source's GTID position to its own newest GTIDs and waits for
// the target to serve it. gtid_strict_mode refuses a replica position behind the node's
// own binlog (ERROR 1947); current_pos asks the master for the node's own newest GTIDs
// whatever gtid_slave_pos says. Either way the target must have binlogged them before the
// source connects, or it answers 1236 (GTID not in the master's binlog).
bool RaiseToOwnBinlog(const std::string& use_gtid, bool source_strict);

// What phase1 does with the target's replica, which an interrupted phase1 may already
// have pointed at the source and run: pointing it at the snapshot again would re-apply
// what it applied since.
enum class Phase1Start {
  kPoint,    // not pointed yet (or at another master): CHANGE MASTER to the snapshot
  kRestart,  // pointed and at or past the snapshot without an error: START SLAVE only
  kBroken,   // applied past the snapshot and stopped on an error: needs a new re-seed
};
Phase1Start DecidePhase1(const v1::ReplicaStatus& replica, const NodeEntry& source,
                         const v1::BinlogCoordinates& snapshot);

// Bounded wait until `client`'s replica has both threads running; fails early with the
// server's own error when the SQL thread stops.
absl::Status WaitReplicaRunning(RunContext& ctx, AgentApi& client, absl::Duration timeout);
// Waits (bounded) until `master` can serve a replica starting at GTID list `position`
// (GtidsNotYetServed): the source's raised position in phase 2 names its own newest
// GTIDs, which the target binlogs as it replicates them. Fails at once when `master`'s
// own replication stopped on an error.
absl::Status WaitGtidServed(RunContext& ctx, AgentApi& master, const std::string& position,
                            absl::Duration timeout);
// Phase 2's START SLAVE on the source, waited for. With MASTER_USE_GTID=current_pos the
// source asks the target, at every connect, for its own newest GTIDs; while it takes
// writes the target may not have binlogged them yet and answers 1236 ("not in the
// master's binlog"). Then: wait until the target serves what the source had at that
// moment and connect again, at most kCurrentPosConnectAttempts times.
inline constexpr int kCurrentPosConnectAttempts = 30;
absl::Status StartSourceReplica(RunContext& ctx, bool current_pos);

}  // namespace mmresync::coordinator
