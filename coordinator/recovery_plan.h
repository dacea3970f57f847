#pragma once

// A recovery is data: a list of steps, each with the node it runs on, the exact
// statements and commands it will run (what `plan` prints, secrets masked), and the
// action. `recover` runs them through the executor, which journals each start/finish;
// `--resume` skips the steps the journal shows done and re-runs the idempotent ones.

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config.h"
#include "coordinator/agent_api.h"
#include "coordinator/diagnosis.h"
#include "coordinator/progress.h"
#include "coordinator/transfer_method.h"
#include "mmresync/v1/journal.pb.h"

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
  AgentApi* source = nullptr;
  AgentApi* target = nullptr;
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

// What a step does to the pair: the report after a failure and the choice whether a new
// run may start over a stopped one ask the steps this, never their ids.
enum class StepEffect {
  kNone,
  kPausesServices,       // the pause hook (the resume hook undoes it on a failure)
  kResumesServices,      // the resume hook
  kFencesTarget,         // keepalived stopped, read_only=ON on the target
  kStopsReplication,     // the source no longer replicates from the target
  kBacksUpTarget,        // the target's data kept aside (park or dump)
  kReplacesData,         // the target's user data replaced by the source's snapshot
  kStartsReplica,        // phase 1: the target replicates from the source
  kRestoresReplication,  // phase 2: the source replicates from the target again
  kUnfencesTarget,       // the target's settings from before the run restored
};

// One step of a recovery. `actions` (what `plan` prints) is built from the same request
// values `run` sends (agent_requests.h), the SQL/argv from the builders the agent runs.
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
  // Checked (after the step's start is journaled) before `run`, on every run and resume:
  // what earlier steps must have recorded. Empty: none.
  std::function<absl::Status(const RunContext&)> precondition = {};
  StepEffect effect = StepEffect::kNone;
};

// The effect of the step `id` of `steps`; kNone for an id not among them (the journal's
// own "journal" failure).
StepEffect EffectOf(const std::vector<Step>& steps, const std::string& id);

// The facts the steps' requests and descriptions are built from, derived from PlanInputs.
struct PairFacts {
  NodeEntry source;
  NodeEntry target;
  // MASTER_USE_GTID each node is pointed at its peer with (recover takes it from the run's
  // first journal record; the same rule).
  std::string target_use_gtid = "no";
  std::string source_use_gtid = "no";
  bool source_strict = false;
  bool target_strict = false;
  bool vip = false;  // a VIP is configured
  // Each replica's agent.toml repl_user (from its status's repl_privileges accounts), its
  // CHANGE MASTER's MASTER_USER; a placeholder when the node did not say.
  std::string source_repl_user = "<repl_user>";
  std::string target_repl_user = "<repl_user>";
  bool target_read_only = false;  // before the run: what unfence restores
};

struct PlanInputs {
  const ClusterConfig* config = nullptr;
  PairView view;
  Roles roles;
  RecoverOptions options;
  MethodChoice method;  // from ChooseMethod
  // A resumed run's settings from its first journal record (modes, read_only).
  std::optional<v1::OriginalSettings> original;
};

PairFacts FactsOf(const PlanInputs& in);

std::vector<Step> BuildRecoveryPlan(const PlanInputs& in);

// Whether --resume skips `step`, given the ids the interrupted run finished.
bool SkippedOnResume(const Step& step, const std::set<std::string>& done);

}  // namespace mmresync::coordinator
