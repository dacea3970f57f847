#include "coordinator/recovery_plan.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "common/tool_argv.h"
#include "coordinator/fence_steps.h"
#include "coordinator/replication_mode.h"
#include "coordinator/replication_steps.h"
#include "coordinator/transfer_steps.h"

namespace mmresync::coordinator {
namespace {

absl::Status RunHook(RunContext& ctx, const std::string& which, const std::string& command) {
  ctx.Note(absl::StrCat("running ", which, " hook"));
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(ShellCommand(command), absl::Minutes(10)));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(which, " hook \"", command, "\" exited ", r.exit_code, ": ", r.stderr_text));
  }
  return absl::OkStatus();
}

// The node's agent.toml repl_user, its CHANGE MASTER's MASTER_USER: the user part of the
// replication accounts its status read ("repl@%"; host names hold no '@'). The
// placeholder when it read none (the pre-flight refuses that pair).
std::string ReplUserOf(const v1::NodeStatus& status) {
  for (const std::string& account : status.repl_privileges().accounts()) {
    const size_t at = account.rfind('@');
    if (at != std::string::npos && at > 0) return account.substr(0, at);
  }
  return "<repl_user>";
}

}  // namespace

StepEffect EffectOf(const std::vector<Step>& steps, const std::string& id) {
  for (const Step& step : steps) {
    if (step.id == id) return step.effect;
  }
  return StepEffect::kNone;
}

bool SkippedOnResume(const Step& step, const std::set<std::string>& done) {
  if (!done.count(step.id)) return false;
  if (!step.rerun_on_resume) return true;
  for (const std::string& later : step.superseded_by) {
    if (done.count(later)) return true;
  }
  return false;
}

PairFacts FactsOf(const PlanInputs& in) {
  PairFacts f;
  f.source = in.view.nodes[in.roles.source].entry;
  f.target = in.view.nodes[in.roles.target].entry;
  const auto& s = in.view.nodes[in.roles.source].status;
  const auto& t = in.view.nodes[in.roles.target].status;
  if (s.ok()) {
    f.vip = s->vip_configured();
    f.source_repl_user = ReplUserOf(*s);
  }
  if (t.ok()) {
    f.target_read_only = t->read_only();
    f.target_repl_user = ReplUserOf(*t);
  }
  if (s.ok() && t.ok()) {
    v1::ReplicationMode sm = ModeOf(*s);
    v1::ReplicationMode tm = ModeOf(*t);
    f.target_use_gtid = UseGtidFor(tm, sm);
    f.source_use_gtid = UseGtidFor(sm, tm);
    f.source_strict = sm.gtid_strict_mode();
    f.target_strict = tm.gtid_strict_mode();
  }
  // A resumed run goes on with the settings of its first journal record (recover puts them
  // in the run's records): the plan describes those.
  if (in.original.has_value()) {
    const v1::OriginalSettings& o = *in.original;
    f.target_read_only = o.target_read_only();
    f.target_use_gtid = UseGtidFor(o.target_mode(), o.source_mode());
    f.source_use_gtid = UseGtidFor(o.source_mode(), o.target_mode());
    f.source_strict = o.source_mode().gtid_strict_mode();
    f.target_strict = o.target_mode().gtid_strict_mode();
  }
  return f;
}

std::vector<Step> BuildRecoveryPlan(const PlanInputs& in) {
  const PairFacts facts = FactsOf(in);
  std::vector<Step> steps;

  if (!in.config->pause_hook.empty()) {
    std::string hook = in.config->pause_hook;
    steps.push_back({"pause-hook",
                     "pause services",
                     "coordinator",
                     {ArgvText(ShellCommand(hook))},
                     false,
                     [hook](RunContext& ctx) { return RunHook(ctx, "pause", hook); }});
    steps.back().effect = StepEffect::kPausesServices;
  }

  steps.push_back(FenceTargetStep(facts));
  steps.push_back(StopReplicationStep(facts));

  if (std::optional<Step> backup = BackupTargetStep(in)) steps.push_back(*std::move(backup));
  steps.push_back(StreamImportStep(in));

  steps.push_back(Phase1Step(facts));
  steps.push_back(Phase2Step(facts));
  steps.push_back(UnfenceStep(in, facts));

  if (!in.config->resume_hook.empty()) {
    std::string hook = in.config->resume_hook;
    steps.push_back({"resume-hook",
                     "resume services",
                     "coordinator",
                     {ArgvText(ShellCommand(hook))},
                     false,
                     [hook](RunContext& ctx) { return RunHook(ctx, "resume", hook); }});
    steps.back().effect = StepEffect::kResumesServices;
  }
  return steps;
}

}  // namespace mmresync::coordinator
