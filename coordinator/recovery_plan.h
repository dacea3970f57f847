#pragma once

// A recovery is data: a list of steps, each with the node it runs on, the exact
// statements and commands it will run (what `plan` prints, secrets masked), and the
// action. `recover` runs them through the executor, which journals each start/finish;
// `--resume` skips the steps the journal shows done and re-runs the idempotent ones.

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config.h"
#include "coordinator/agent_client.h"
#include "coordinator/diagnosis.h"
#include "coordinator/progress.h"
#include "coordinator/transfer_method.h"

namespace mmresync::coordinator {

struct RecoverOptions {
  bool skip_backup = false;
  bool discard_target_writes = false;
  bool resume = false;
  absl::Duration replica_wait = absl::Seconds(120);  // [cluster] replica_wait_seconds
  absl::Duration vip_wait = absl::Seconds(30);       // [cluster] vip_wait_seconds
  std::string method = "auto";                       // --method: auto | logical | dump
  uint32_t workers = 0;              // --workers: parallel table streams; 0 = from the cores
  std::string backup = "park";       // --backup: park (tables moved aside, no copy) | dump
  std::string compression = "auto";  // --compression: auto | none | zstd level 1..19
  bool compression_given = false;    // on the command line (a resume may change it)
};

// Everything a step may use. `records` holds what earlier steps learnt (restored from
// the journal on --resume) and is journaled after each step.
struct RunContext {
  std::string run_id;
  const ClusterConfig* config = nullptr;
  AgentClient* source = nullptr;
  AgentClient* target = nullptr;
  PairView view;  // as discovered before the run
  Roles roles;
  RecoverOptions options;
  std::map<std::string, std::string> records;
  ProgressSink* sink = nullptr;
  StepInfo current;
  std::atomic<bool>* interrupted = nullptr;
  // Said again after the final result, where they cannot scroll by unseen.
  std::vector<std::string> warnings;

  const v1::NodeStatus& source_status() const { return *view.nodes[roles.source].status; }
  const v1::NodeStatus& target_status() const { return *view.nodes[roles.target].status; }
  void Note(const std::string& text) { sink->StepNote(current, text); }
};

struct Step {
  std::string id;                    // stable, journaled: "fence-target"
  std::string title;                 // for people: "fence target"
  std::string node;                  // "db2", "db1 → db2", "coordinator"
  std::vector<std::string> actions;  // exact statements/commands, secrets masked
  bool rerun_on_resume = false;      // idempotent: run again even if journaled done
  std::function<absl::Status(RunContext&)> run;
  // With rerun_on_resume: not re-run after all if one of these is journaled done, because
  // it undid or built on this step's effect (stop-replication's RESET SLAVE once the
  // import is done would throw away the position of a replica phase1 may have started).
  std::vector<std::string> superseded_by = {};
};

struct PlanInputs {
  const ClusterConfig* config = nullptr;
  PairView view;
  Roles roles;
  RecoverOptions options;
  std::string repl_user = "<repl_user>";
  MethodChoice method;  // from ChooseMethod
};

std::vector<Step> BuildRecoveryPlan(const PlanInputs& in);

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

// Whether --resume skips `step`, given the ids the interrupted run finished.
bool SkippedOnResume(const Step& step, const std::set<std::string>& done);

// Bounded wait until `client`'s replica has both threads running; fails early with the
// server's own error when the SQL thread stops.
absl::Status WaitReplicaRunning(RunContext& ctx, AgentClient& client, absl::Duration timeout);
// Waits (bounded) until `master` can serve a replica starting at GTID list `position`
// (GtidsNotYetServed): the source's raised position in phase 2 names its own newest
// GTIDs, which the target binlogs as it replicates them. Fails at once when `master`'s
// own replication stopped on an error.
absl::Status WaitGtidServed(RunContext& ctx, AgentClient& master, const std::string& position,
                            absl::Duration timeout);
// Phase 2's START SLAVE on the source, waited for. With MASTER_USE_GTID=current_pos the
// source asks the target, at every connect, for its own newest GTIDs; while it takes
// writes the target may not have binlogged them yet and answers 1236 ("not in the
// master's binlog"). Then: wait until the target serves what the source had at that
// moment and connect again, at most kCurrentPosConnectAttempts times.
inline constexpr int kCurrentPosConnectAttempts = 30;
absl::Status StartSourceReplica(RunContext& ctx, bool current_pos);

}  // namespace mmresync::coordinator
