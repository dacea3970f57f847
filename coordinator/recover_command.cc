#include "coordinator/recover_command.h"
#include "absl/strings/string_view.h"
#include "coordinator/plan_json.h"

#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <openssl/rand.h>

#include "absl/algorithm/container.h"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/escape.h"
#include "common/fault_point.h"
#include "common/subprocess.h"
#include "coordinator/cluster_session.h"
#include "coordinator/coordinator_instance.h"
#include "coordinator/executor.h"
#include "coordinator/exit_codes.h"
#include "coordinator/journal.h"
#include "coordinator/preflight_checks.h"
#include "coordinator/replication_mode.h"
#include "coordinator/resume_checks.h"
#include "coordinator/run_inheritance.h"
#include "coordinator/run_options.h"
#include "coordinator/run_state.h"
#include "coordinator/status_command.h"
#include "coordinator/vrrp_prediction.h"

namespace mmresync::coordinator {
namespace {

constexpr int kLeaseTtlSeconds = 60;
// The failed "step" when the run's start could not be journaled: no step ran.
constexpr char kRunStartRecord[] = "journal";

std::string NewRunId() {
  unsigned char bytes[3];
  RAND_bytes(bytes, sizeof bytes);
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone()), "-",
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(bytes), 3)));
}

void Err(const std::string& text) { PrintTerminal(stderr, "%s\n", text.c_str()); }

// Everything `plan` and `recover` decide before touching anything.
struct Prepared {
  ClusterSession session;
  PairView view;
  Roles roles;
  std::optional<RunRecord> resume_run;
  std::optional<RunRecord> last_run;  // the journal's last run, whatever its state
  RecoverOptions options;             // the run's: recorded ones on --resume
  // What a new run takes over from an abandoned run, or one stopped at its fence.
  Inheritance inherited;
  std::vector<Step> steps;
  std::vector<PreflightCheck> checks;  // the configuration checks, for plan and recover
  MethodChoice method;                 // the transfer method and why
};

bool HolderGone(const v1::CoordinatorInstance& holder) {
  return HolderProvablyGone(holder, ThisInstance(), RealProcessProbe());
}

// Returns an exit code on refusal/error, or nullopt to go on.
std::optional<int> Prepare(const RecoverFlags& flags, Prepared& p, bool for_plan) {
  auto session = OpenCluster(flags.config);
  if (!session.ok()) {
    Err(absl::StrCat("mmresync: ", session.status().message()));
    return kExitUsage;
  }
  p.session = std::move(*session);
  if (absl::Status s = VerifyAgentIdentities(p.session); !s.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", s.message()));
    return kExitRefused;
  }
  std::optional<std::string> source = flags.source;
  p.options = flags.options;
  std::string path = Journal::PathFor(p.session.config.state_dir, p.session.config.name);
  auto last = ReadLastRun(path);
  if (!last.ok()) {
    Err(absl::StrCat("mmresync: ", last.status().message()));
    return kExitUsage;
  }
  p.last_run = *last;
  if (flags.resume) {
    if (!last->has_value() || !(*last)->unfinished()) {
      Err(absl::StrCat("mmresync: nothing to resume: the journal ", path, " has no unfinished run",
                       last->has_value() && (*last)->abandoned
                           ? absl::StrCat(" (run ", (*last)->run_id, " was abandoned)")
                           : "",
                       ". Start a new one with: mmresync recover"));
      return kExitUsage;
    }
    if ((*last)->options.has_value()) {
      if (absl::Status s =
              CheckResumeOptions((*last)->run_id, *(*last)->options, flags.options, flags.given);
          !s.ok()) {
        Err(absl::StrCat("mmresync: ", s.message()));
        return kExitUsage;
      }
      p.options = WithRecorded(flags.options, *(*last)->options);
    }
    if (source.has_value() && *source != (*last)->source) {
      Err(absl::StrCat("mmresync: --source ", *source,
                       " differs from the interrupted run's source ", (*last)->source,
                       "; a resumed run keeps its roles"));
      return kExitUsage;
    }
    source = (*last)->source;
    p.resume_run = std::move(*last);
  }

  p.view = Discover(*p.session.a, *p.session.b, p.session.config.vip);
  if (!flags.resume) {
    // One run at a time per pair: never a new run over an unfinished one.
    RunActivity activity = FindRunActivity(p.last_run, p.view, absl::Now(), HolderGone);
    if (activity.kind != RunActivity::Kind::kNone) {
      Err(UnfinishedRunRefusal(activity, p.view, flags.config));
      return kExitRefused;
    }
  }
  auto roles = ChooseRoles(p.view, source);
  if (!roles.ok()) {
    Err(absl::StrCat("mmresync: refused: ", roles.status().message()));
    return absl::IsInvalidArgument(roles.status()) ? kExitUsage : kExitRefused;
  }
  p.roles = *roles;
  if (!flags.resume) {
    p.inherited = InheritFromLastRun(p.last_run, p.view.nodes[p.roles.target].entry.name);
    // The abandoned run's backup holds the target's data from before: no backup step.
    if (!p.inherited.backup_path.empty()) p.options.skip_backup = true;
  }
  Diagnosis diagnosis = Diagnose(p.view);
  if (diagnosis.health == Health::kHealthy && !flags.resume && !flags.force) {
    PrintTerminal(stdout,
                  "%s\nThe pair is healthy: nothing to re-seed. If `mmresync verify` found "
                  "differences, re-seed anyway with --force.\n",
                  RenderStatusTable(p.view, diagnosis).c_str());
    return for_plan ? std::optional<int>() : std::optional<int>(kExitOk);
  }
  PreflightOptions pre;
  // An inherited backup is a backup: what --discard-target-writes requires.
  pre.skip_backup = p.options.skip_backup && p.inherited.backup_path.empty();
  pre.discard_target_writes = p.options.discard_target_writes;
  pre.resume = flags.resume;
  pre.park_backup = p.options.backup == "park";
  std::vector<std::string> refusals = PreflightRefusals(p.view, p.roles, pre);
  if (p.resume_run && refusals.empty()) refusals = ResumeRefusals(*p.resume_run, p.view, p.roles);
  if (!refusals.empty()) {
    std::string text = "mmresync: refused, nothing was changed:\n";
    for (const auto& r : refusals) absl::StrAppend(&text, "  - ", r, "\n");
    Err(text);
    return kExitRefused;
  }
  std::optional<MethodChoice> recorded;
  if (p.resume_run && p.resume_run->options) recorded = RecordedChoice(*p.resume_run->options);
  auto method =
      recorded ? absl::StatusOr<MethodChoice>(*recorded)
               : ChooseMethod(p.options.method, *p.view.nodes[p.roles.source].status,
                              *p.view.nodes[p.roles.target].status, p.session.config.auto_delta);
  if (!method.ok()) {
    Err(absl::StrCat("mmresync: ", absl::IsInvalidArgument(method.status()) ? "" : "refused: ",
                     method.status().message(),
                     absl::IsInvalidArgument(method.status()) ? "" : "; nothing was changed"));
    return absl::IsInvalidArgument(method.status()) ? kExitUsage : kExitRefused;
  }
  p.checks = ConfigurationChecks(*p.view.nodes[p.roles.source].status,
                                 *p.view.nodes[p.roles.target].status, method->expected);
  if (AnyFailed(p.checks)) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: a pre-flight check failed:\n",
                     RenderChecks(p.checks)));
    return kExitRefused;
  }
  PlanInputs in;
  in.method = *method;
  p.method = *method;
  in.config = &p.session.config;
  in.view = p.view;
  in.roles = p.roles;
  in.options = p.options;
  in.options.vip_wait = absl::Seconds(p.session.config.vip_wait_seconds);
  in.options.replica_wait = absl::Seconds(p.session.config.replica_wait_seconds);
  if (p.resume_run) in.original = p.resume_run->original;
  p.steps = BuildRecoveryPlan(in);
  return std::nullopt;
}

std::string RoleLine(const Prepared& p) {
  return absl::StrCat("source ", p.view.nodes[p.roles.source].entry.name, " (", p.roles.reason,
                      ") → target ", p.view.nodes[p.roles.target].entry.name,
                      " (its user data is replaced)");
}

// "replication mode kept: db1 GTID slave_pos (domain 1), db2 GTID slave_pos (domain 2)":
// what phase 1 and phase 2 re-establish (on --resume: the run's recorded modes).
std::string ModeLine(const Prepared& p) {
  v1::ReplicationMode modes[2];
  for (int i = 0; i < 2; ++i) modes[i] = ModeOf(*p.view.nodes[i].status);
  if (p.resume_run && p.resume_run->original.has_value()) {
    modes[p.roles.source] = p.resume_run->original->source_mode();
    modes[p.roles.target] = p.resume_run->original->target_mode();
  }
  std::string out = "replication mode kept:";
  for (int i = 0; i < 2; ++i) {
    v1::ReplicationMode m = modes[i];
    m.set_use_gtid(UseGtidFor(modes[i], modes[1 - i]));
    absl::StrAppend(&out, i ? "," : "", " ", p.view.nodes[i].entry.name, " ", DescribeMode(m));
  }
  return out;
}

// Said before anything runs: the end of the run will move the VIP.
std::optional<std::string> TakeoverWarning(const Prepared& p) {
  const v1::NodeStatus& s = *p.view.nodes[p.roles.source].status;
  const v1::NodeStatus& t = *p.view.nodes[p.roles.target].status;
  if (!s.vip_configured()) return std::nullopt;
  TakeoverPrediction prediction = PredictTakeover(s, t);
  if (prediction.outcome != TakeoverPrediction::Outcome::kTakes) return std::nullopt;
  return absl::StrCat("WARNING: when keepalived starts again on ", t.node(),
                      " at the end, it will take the VIP from ", s.node(), ": ", prediction.reason,
                      ". Writes will then go to ", t.node(), ".");
}

std::string KeepalivedWord(const v1::KeepalivedState& ka) {
  return !ka.managed()                                     ? "not managed"
         : ka.running()                                    ? "running"
         : absl::StartsWith(ka.detail(), "status unknown") ? "state unknown"
                                                           : "stopped";
}

// Whether the run stopped at or before the fence, before any step that changes data or
// replication (a new run may then start over it, with this run's original settings).
// (The failure to journal the run's start has no step: its effect is kNone.)
bool NoDataChanged(const std::vector<Step>& steps, const ExecutionOutcome& outcome) {
  for (const std::string& id : outcome.completed) {
    if (EffectOf(steps, id) != StepEffect::kPausesServices) return false;
  }
  const StepEffect failed = EffectOf(steps, outcome.failed_step);
  return failed == StepEffect::kNone || failed == StepEffect::kPausesServices ||
         failed == StepEffect::kFencesTarget;
}

// The effects of the steps the run finished.
std::set<StepEffect> EffectsDone(const std::vector<Step>& steps, const ExecutionOutcome& outcome) {
  std::set<StepEffect> done;
  for (const std::string& id : outcome.completed) done.insert(EffectOf(steps, id));
  return done;
}

// Where each node stands after a failure at `failed`, and what to run next.
// `target_now` is the target's status read after the failure: when the fence itself
// failed, the target is not (or only partly) fenced, and that is reported from it.
std::string SafeStateReport(const Prepared& p, const ExecutionOutcome& outcome,
                            const std::string& backup,
                            const absl::StatusOr<v1::NodeStatus>& target_now,
                            const std::string& resume, const std::string& run_id,
                            const std::string& abandon) {
  const std::string& S = p.view.nodes[p.roles.source].entry.name;
  const std::string& T = p.view.nodes[p.roles.target].entry.name;
  const std::set<StepEffect> done = EffectsDone(p.steps, outcome);
  const StepEffect failed = EffectOf(p.steps, outcome.failed_step);
  bool fenced = done.count(StepEffect::kFencesTarget) || failed != StepEffect::kFencesTarget;
  bool touched = done.count(StepEffect::kFencesTarget) > 0 || failed == StepEffect::kFencesTarget;
  std::string out = "State now:\n";
  if (!touched) {
    absl::StrAppend(&out, "  nothing was changed on ", S, " or ", T, ".\n");
    absl::StrAppend(&out, "Next: fix the cause above, then run: mmresync recover\n");
    return out;
  }
  if (failed == StepEffect::kUnfencesTarget) {
    absl::StrAppend(&out, "  ", S, " (source): writable, replicating from ", T, ".\n");
    absl::StrAppend(&out, "  ", T, " (target): re-seeded from ", S, ", replicating from ", S);
    if (target_now.ok()) {
      absl::StrAppend(&out, "; keepalived ", KeepalivedWord(target_now->keepalived()),
                      ", read_only=", target_now->read_only() ? "ON" : "OFF",
                      target_now->vip_local() ? ", HOLDS THE VIP" : ", VIP not held");
    } else {
      absl::StrAppend(&out, "; its state is unknown (", target_now.status().message(), ")");
    }
    absl::StrAppend(&out, ".\n  The data needs nothing more: only keepalived/the VIP above.\n");
    if (target_now.ok() && target_now->vip_local()) {
      // A resume would fence the VIP holder (refused) and the VIP would only flap.
      absl::StrAppend(&out, "Next: nothing to resume; ", T, " serves as the master now. To have ",
                      S, " hold the VIP after recoveries, give ", T,
                      "'s keepalived nopreempt (with state BACKUP) or a lower priority, then "
                      "restart keepalived on ",
                      T, ". Check with: mmresync status\n");
      absl::StrAppend(&out, "The journal keeps run ", run_id,
                      " unfinished; once the VIP is settled, close it with: ", abandon, "\n");
    } else {
      absl::StrAppend(&out, "Next: fix keepalived on ", T, ", then run: ", resume,
                      " (it re-runs only the fence and "
                      "the unfence; nothing is copied again)\n");
    }
    return out;
  }
  if (!fenced) {
    absl::StrAppend(&out, "  ", S, " (source): writable and serving; replication as before.\n");
    absl::StrAppend(&out, "  ", T, " (target): NOT fenced (fencing stopped at the error above); ");
    if (target_now.ok()) {
      absl::StrAppend(&out, "keepalived ", KeepalivedWord(target_now->keepalived()),
                      ", read_only=", target_now->read_only() ? "ON" : "OFF",
                      target_now->vip_local() ? ", holds the VIP" : "", "; no data was changed.\n");
    } else {
      absl::StrAppend(&out, "its state is unknown (", target_now.status().message(),
                      "); no data was changed.\n");
    }
    absl::StrAppend(&out, "Next: fix the cause above, then run: ", resume, "\n");
    return out;
  }
  absl::StrAppend(
      &out, "  ", S, " (source): writable and serving; ",
      done.count(StepEffect::kStopsReplication) ? absl::StrCat("not replicating from ", T)
                                                : std::string("replication as before"),
      done.count(StepEffect::kRestoresReplication) ? " (replicating again)" : "", ".\n");
  absl::StrAppend(&out, "  ", T, " (target): fenced (keepalived stopped, read_only=ON)");
  if (done.count(StepEffect::kReplacesData)) {
    absl::StrAppend(&out, ", re-seeded from ", S);
  } else if (failed == StepEffect::kReplacesData) {
    absl::StrAppend(&out, ", user data possibly partly imported");
  }
  absl::StrAppend(&out, ".\n");
  if (!backup.empty())
    absl::StrAppend(&out, "  backup of ", T, "'s data: ", backup, " (on ", T, ")\n");
  absl::StrAppend(&out,
                  outcome.interrupted || absl::IsCancelled(outcome.status)
                      ? "Next: resume with: "
                      : "Next: fix the cause above, then run: ",
                  resume, "\n");
  return out;
}

}  // namespace

int RunPlan(const RecoverFlags& flags) {
  Prepared p;
  if (auto code = Prepare(flags, p, true); code.has_value()) return *code;
  if (p.steps.empty()) return kExitOk;
  if (flags.json) {
    std::set<std::string> skipped;
    for (const Step& step : p.steps) {
      if (p.resume_run &&
          SkippedOnResume(step, std::set<std::string>(p.resume_run->done_steps.begin(),
                                                      p.resume_run->done_steps.end()))) {
        skipped.insert(step.id);
      }
    }
    PlanSummary summary{p.session.config.name,
                        p.view.nodes[p.roles.source].entry.name,
                        p.view.nodes[p.roles.target].entry.name,
                        p.roles.reason,
                        p.options.method,
                        p.resume_run ? p.resume_run->run_id : std::string(),
                        p.method.expected,
                        p.method.reason};
    WriteTerminal(stdout, RenderPlanJson(summary, p.steps, skipped));
    return kExitOk;
  }
  PrintTerminal(stdout, "Plan for cluster %s: %s\n", p.session.config.name.c_str(),
                RoleLine(p).c_str());
  if (auto warning = TakeoverWarning(p)) PrintTerminal(stdout, "%s\n", warning->c_str());
  PrintTerminal(stdout, "%s\n", ModeLine(p).c_str());
  PrintTerminal(stdout, "Pre-flight checks (a FAIL refuses the run):\n%s",
                RenderChecks(p.checks).c_str());
  if (!p.inherited.backup_path.empty()) {
    PrintTerminal(stdout,
                  "No backup step: the backup of the abandoned run %s keeps the target's data "
                  "from before it: %s\n",
                  p.inherited.from_run.c_str(), p.inherited.backup_path.c_str());
  }
  PrintTerminal(stdout, "Nothing below has run; `mmresync recover` runs exactly these steps.\n\n");
  int i = 0;
  for (const Step& step : p.steps) {
    ++i;
    PrintTerminal(stdout, "%2d. %-24s on %s%s\n", i, step.title.c_str(), step.node.c_str(),
                  (p.resume_run &&
                   SkippedOnResume(step, std::set<std::string>(p.resume_run->done_steps.begin(),
                                                               p.resume_run->done_steps.end())))
                      ? "   (done: skipped on resume)"
                      : "");
    // One action is one line, whatever names it holds.
    for (const auto& a : step.actions) PrintTerminal(stdout, "      %s\n", EscapeUntrusted(a));
  }
  PrintTerminal(stdout,
                "\nOn failure or Ctrl-C: the source stays writable, the target stays fenced, and "
                "`mmresync recover --resume` continues.\n");
  return kExitOk;
}

int RunRecover(const RecoverFlags& flags) {
  // main() blocked SIGINT/SIGTERM in every thread before any existed; this thread takes
  // them. Before the run starts nothing has changed, so Ctrl-C just ends the program;
  // during the run it stops at the next safe point and cancels the stream in flight
  // (the agents kill their dump/import processes, which releases any source lock).
  std::atomic<bool> interrupted{false};
  // Before the leases nothing has changed: Ctrl-C ends the program at once. While they
  // are taken it only marks the interruption; the main thread gives back what it took
  // (an _Exit there would leave a lease live until it expires and block every run).
  enum class Stage { kBeforeLeases, kTakingLeases, kRunning };
  absl::Mutex stage_mu;
  Stage stage = Stage::kBeforeLeases;
  std::atomic<bool> done_signals{false};
  std::atomic<AgentClient*> cancel_a{nullptr}, cancel_b{nullptr};
  std::thread signals([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    while (!done_signals.load()) {
      timespec ts{0, 200 * 1000 * 1000};
      if (sigtimedwait(&set, nullptr, &ts) <= 0) continue;
      {
        absl::MutexLock lock(&stage_mu);
        if (stage == Stage::kBeforeLeases) {
          PrintTerminal(stderr,
                        "\nmmresync: interrupted before the run started; nothing was changed\n");
          std::_Exit(130);
        }
        interrupted = true;
        if (stage == Stage::kTakingLeases) {
          PrintTerminal(stderr, "\nmmresync: interrupted; giving back the leases\n");
          continue;
        }
      }
      if (AgentClient* c = cancel_a.load()) c->CancelStreams();
      if (AgentClient* c = cancel_b.load()) c->CancelStreams();
    }
  });
  absl::Cleanup stop_signals = [&] {
    done_signals = true;
    signals.join();
  };

  Prepared p;
  if (auto code = Prepare(flags, p, false); code.has_value()) return *code;
  const ClusterConfig& config = p.session.config;
  AgentClient* source = p.roles.source == 0 ? p.session.a.get() : p.session.b.get();
  AgentClient* target = p.roles.source == 0 ? p.session.b.get() : p.session.a.get();
  const std::string& T = target->node().name;

  bool tty = ::isatty(STDOUT_FILENO) && !flags.json;
  if (!flags.yes) {
    if (!::isatty(STDIN_FILENO)) {
      Err("mmresync: recover replaces the target's data; not a terminal, so pass --yes to confirm");
      return kExitUsage;
    }
    std::string warning = TakeoverWarning(p).value_or("");
    PrintTerminal(stdout, "%s\n%s%sType the target's name (%s) to replace its user data: ",
                  RoleLine(p).c_str(), warning.c_str(), warning.empty() ? "" : "\n", T.c_str());
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != T) {
      Err("mmresync: not confirmed; nothing was changed");
      return kExitUsage;
    }
  }

  std::string run_id = p.resume_run ? p.resume_run->run_id : NewRunId();
  std::string holder =
      absl::StrCat(getenv("USER") ? getenv("USER") : "?", "@mmresync pid ", getpid());
  // A resumed run's lease may still be held by the coordinator that ran it: taken over
  // only from one provably gone, else refused naming it.
  std::map<AgentClient*, std::string> take_over;
  if (p.resume_run) {
    for (AgentClient* c : {source, target}) {
      auto now = c->GetStatus(/*brief=*/true);
      auto from = now.ok() ? TakeOverFrom(*now, run_id, ThisInstance(), RealProcessProbe())
                           : absl::StatusOr<std::string>(now.status());
      if (!from.ok()) {
        Err(absl::StrCat("mmresync: refused, nothing was changed: ", from.status().message()));
        return kExitRefused;
      }
      take_over[c] = *from;
    }
  }
  // One operation per pair: both leases or none.
  {
    absl::MutexLock lock(&stage_mu);
    stage = Stage::kTakingLeases;
  }
  for (AgentClient* c : {source, target}) {
    auto lease = c->AcquireLease(run_id, holder, kLeaseTtlSeconds, take_over[c]);
    if (!lease.ok()) {
      (void)source->ReleaseLease(run_id);
      Err(absl::StrCat("mmresync: refused, nothing was changed: ", lease.status().message()));
      return kExitRefused;
    }
    if (!take_over[c].empty()) {
      Err(absl::StrCat("mmresync: ", c->node().name, ": took over run ", run_id,
                       " from coordinator ", take_over[c], ", whose process is gone"));
    }
  }

  auto give_back_leases = [&] {
    for (AgentClient* c : {source, target}) (void)c->ReleaseLease(run_id);
  };
  MMRESYNC_FAULT_POINT_OR("leases_taken", [&](const absl::Status& s) {
    give_back_leases();
    Err(absl::StrCat("mmresync: ", s.message()));
    return kExitFailed;
  });
  bool interrupted_while_leasing = false;
  {
    absl::MutexLock lock(&stage_mu);
    interrupted_while_leasing = interrupted.load();
    if (!interrupted_while_leasing) stage = Stage::kRunning;
  }
  if (interrupted_while_leasing) {
    give_back_leases();
    Err("mmresync: interrupted before the run started; leases given back, nothing was changed");
    return kExitInterrupted;
  }
  cancel_a = source;
  cancel_b = target;
  std::mutex mu;
  std::condition_variable cv;
  bool stop_renewal = false;
  std::thread renewal([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, std::chrono::seconds(kLeaseTtlSeconds / 4),
                        [&] { return stop_renewal; })) {
      for (AgentClient* c : {source, target}) (void)c->RenewLease(run_id, kLeaseTtlSeconds);
    }
  });
  std::unique_ptr<ProgressSink> sink = flags.json ? MakeJsonProgress(stdout, run_id)
                                       : tty      ? MakeTtyProgress(stdout)
                                                  : MakePlainProgress(stdout);
  Journal journal(Journal::PathFor(config.state_dir, config.name), config.name, run_id);
  // The settings the run changes and restores at the end: read before its first step,
  // journaled with its start, and taken from there on every resume (by then the target is
  // fenced, and what it shows is the run's doing).
  std::optional<v1::OriginalSettings> original;
  if (p.resume_run) {
    original = p.resume_run->original;
  } else if (p.inherited.original.has_value()) {
    // What the target shows now is the abandoned (or half-fenced) run's doing.
    original = p.inherited.original;
  } else {
    original = ReadOriginalSettings(p.view, p.roles.source, p.roles.target);
  }
  v1::JournalEntry start;
  start.set_event("run-start");
  start.set_source(source->node().name);
  start.set_target(T);
  start.set_detail(p.resume_run ? "resume" : "new");
  if (!p.resume_run) {
    if (!p.inherited.backup_path.empty()) {
      (*start.mutable_records())["backup_path"] = p.inherited.backup_path;
      (*start.mutable_records())["backup_inherited_from"] = p.inherited.from_run;
    }
    *start.mutable_options() = ToRecord(p.options);
    RecordChoice(p.method, start.mutable_options());
    if (original) *start.mutable_original() = *original;
    for (const Step& step : p.steps) start.add_plan(step.id);
  }
  *start.mutable_coordinator() = ThisInstance();
  absl::Status journaled = journal.Append(start);

  RunContext ctx;
  ctx.run_id = run_id;
  ctx.config = &config;
  ctx.source = source;
  ctx.target = target;
  ctx.view = p.view;
  ctx.roles = p.roles;
  ctx.options = p.options;
  ctx.options.vip_wait = absl::Seconds(config.vip_wait_seconds);
  ctx.options.replica_wait = absl::Seconds(config.replica_wait_seconds);
  ctx.sink = sink.get();
  ctx.interrupted = &interrupted;
  std::set<std::string> done;
  std::vector<std::string> carried_notes;
  if (!p.inherited.backup_path.empty()) {
    carried_notes.push_back(absl::StrCat("no new backup of ", T,
                                         ": the backup of the abandoned run ", p.inherited.from_run,
                                         " keeps its data from before: ", p.inherited.backup_path));
  }
  if (p.resume_run) {
    ctx.records = p.resume_run->records;
    done.insert(p.resume_run->done_steps.begin(), p.resume_run->done_steps.end());
  }
  if (original) {
    // What unfence restores (fence-target records the value it sees only without this,
    // for runs journaled before original settings were).
    ctx.records["target_read_only"] = original->target_read_only() ? "1" : "0";
    ctx.records["target_keepalived"] = !original->target_keepalived_managed()  ? "unmanaged"
                                       : original->target_keepalived_running() ? "running"
                                                                               : "stopped";
    // How phase 1 and phase 2 point each node at its peer again: the pair's mode from
    // before the run (file/position for journals that did not record it).
    ctx.records["target_use_gtid"] = UseGtidFor(original->target_mode(), original->source_mode());
    ctx.records["source_use_gtid"] = UseGtidFor(original->source_mode(), original->target_mode());
    // gtid_strict_mode on the source: its replica position must not be behind its own
    // binlog (phase 2 raises it and waits for the target to serve it).
    ctx.records["source_gtid_strict"] = original->source_mode().gtid_strict_mode() ? "1" : "0";
    // And on the target, whose replica position phase 1 sets (raised the same way).
    ctx.records["target_gtid_strict"] = original->target_mode().gtid_strict_mode() ? "1" : "0";
    if (!p.inherited.backup_path.empty()) ctx.records["backup_path"] = p.inherited.backup_path;
    if (!original->carried_from_run().empty()) {
      carried_notes.push_back(absl::StrCat(
          "run ", original->carried_from_run(),
          p.inherited.abandoned ? absl::StrCat(" was abandoned with ", T, " fenced")
          : p.inherited.left_fenced
              ? absl::StrCat(" restored a backup on ", T, " and left it fenced")
              : absl::StrCat(" stopped at the fence of ", T),
          "; its settings from before it are restored at the end: ", DescribeOriginal(*original)));
    }
  }
  sink->Header(absl::StrCat("mmresync recover  cluster ", config.name, "  run ", run_id,
                            p.resume_run ? " (resumed)" : ""));
  sink->Header(RoleLine(p));
  sink->Header(ModeLine(p));
  sink->Header(MethodLine(p.method));
  for (const PreflightCheck& c : p.checks) {
    if (c.result == CheckResult::kWarn) {
      sink->Header(absl::StrCat("pre-flight warning: ", c.name, ": ", c.detail));
    }
  }
  for (const std::string& note : carried_notes) sink->Header(note);
  if (auto warning = TakeoverWarning(p)) sink->Header(*warning);

  ExecutionOutcome outcome;
  absl::Time began = absl::Now();
  if (!journaled.ok()) {
    outcome.status = absl::DataLossError(
        absl::StrCat("coordinator: the run was not started: the journal could not record it (",
                     journaled.message(), ")"));
    outcome.failed_step = kRunStartRecord;
    outcome.journal_failed = true;
  } else {
    outcome = ExecutePlan(p.steps, ctx, journal, done);
  }
  absl::Duration took = absl::Now() - began;
  // The run is over either way: let go of the pair before the final report.
  {
    std::lock_guard<std::mutex> lock(mu);
    stop_renewal = true;
  }
  cv.notify_all();
  renewal.join();
  for (AgentClient* c : {source, target}) (void)c->ReleaseLease(run_id);

  int code = kExitOk;
  if (outcome.status.ok()) {
    PairView after = Discover(*p.session.a, *p.session.b, p.session.config.vip);
    Diagnosis diagnosis = Diagnose(after);
    v1::JournalEntry end;
    end.set_event("run-done");
    end.set_detail(diagnosis.summary);
    if (absl::Status s = journal.Append(end); !s.ok()) {
      // Every step is done, but the journal still shows the run unfinished: say so rather
      // than claim a recorded success. A resume re-checks and only re-runs the
      // repeatable steps.
      sink->Footer(false, absl::StrCat("every step finished, but the journal could not record "
                                       "the run as done: ",
                                       s.message()));
      std::fprintf(flags.json ? stderr : stdout,
                   "The pair: %s\nThe journal still shows run %s unfinished. Fix the journal "
                   "(%s), then run: %s\n",
                   diagnosis.summary.c_str(), run_id.c_str(), journal.path().c_str(),
                   ResumeCommand(flags.config).c_str());
      return kExitFailed;
    }
    std::string summary = absl::StrCat("recovered in ", FormatClock(took), ": ", diagnosis.summary);
    if (ctx.records.count("bytes")) {
      // What held the source's writes, in the words of the method that ran.
      const std::string& method = ctx.records["method"];
      const std::string held = method == "logical"    ? "; commits on the source waited "
                               : method == "physical" ? "; source commit stall "
                                                      : "; source global lock ";
      absl::StrAppend(&summary, "; streamed ", HumanBytes(std::stoull(ctx.records["bytes"])),
                      method.empty() ? "" : absl::StrCat(" (method ", method, ")"), held,
                      ctx.records["source_lock_ms"], " ms");
    }
    sink->Footer(diagnosis.health == Health::kHealthy, summary);
    if (std::vector<std::string> nowhere = EventsRunningNowhere(after); !nowhere.empty()) {
      ctx.warnings.push_back(EventsRunningNowhereText(nowhere));
    }
    if (!flags.json) PrintTerminal(stdout, "\n%s", RenderStatusTable(after, diagnosis).c_str());
    // Last, so that they are what stays on the screen.
    for (const std::string& w : ctx.warnings) {
      PrintTerminal(flags.json ? stderr : stdout, "WARNING: %s\n", w.c_str());
    }
    code = diagnosis.health == Health::kHealthy ? kExitOk : kExitFailed;
  } else {
    // Ctrl-C may also end the step in flight with its own error (a cancelled stream).
    const bool by_operator = outcome.interrupted || interrupted.load();
    v1::JournalEntry end;
    end.set_event(by_operator ? "run-interrupted" : "run-failed");
    end.set_step(outcome.failed_step);
    end.set_detail(std::string(outcome.status.message()));
    end.set_no_data_changed(NoDataChanged(p.steps, outcome));
    absl::Status end_journaled =
        outcome.failed_step == kRunStartRecord ? absl::OkStatus() : journal.Append(end);
    if (by_operator) {
      sink->Footer(false,
                   absl::StrCat("interrupted by the operator at step ", outcome.failed_step));
    } else {
      sink->Footer(false, absl::StrCat("recover failed at step ", outcome.failed_step, ": ",
                                       outcome.status.message()));
    }
    if (!end_journaled.ok()) {
      std::fprintf(flags.json ? stderr : stdout,
                   "The journal could not record the end of the run either: %s\n",
                   std::string(end_journaled.message()).c_str());
    }
    std::string backup = ctx.records.count("backup_path") ? ctx.records["backup_path"] : "";
    const StepEffect failed = EffectOf(p.steps, outcome.failed_step);
    bool ask = failed == StepEffect::kFencesTarget || failed == StepEffect::kUnfencesTarget;
    absl::StatusOr<v1::NodeStatus> target_now =
        ask ? target->GetStatus() : absl::StatusOr<v1::NodeStatus>(v1::NodeStatus());
    WriteTerminal(flags.json ? stderr : stdout,
                  SafeStateReport(p, outcome, backup, target_now, ResumeCommand(flags.config),
                                  run_id, AbandonCommand(flags.config, run_id)));
    if (by_operator) {
      // What each node shows now, read after the stop.
      PairView now = Discover(*p.session.a, *p.session.b, p.session.config.vip);
      std::string lines = "Each node now:\n";
      for (int i = 0; i < 2; ++i) absl::StrAppend(&lines, "  ", NodeStateLine(now, i), "\n");
      WriteTerminal(flags.json ? stderr : stdout, lines);
    }
    // Services paused by the hook run against the source, which is writable: resume them.
    if (EffectsDone(p.steps, outcome).count(StepEffect::kPausesServices) &&
        !config.resume_hook.empty()) {
      auto r = RunCommand(ShellCommand(config.resume_hook), absl::Minutes(10));
      PrintTerminal(stdout, "resume hook: %s\n", r.ok() && r->exit_code == 0 ? "ran" : "FAILED");
    }
    code = by_operator ? kExitInterrupted : kExitFailed;
  }

  return code;
}

}  // namespace mmresync::coordinator
