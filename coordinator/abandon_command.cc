// `mmresync recover --abandon RUN`: gives up an unfinished run in the journal so that a
// new one may start. Nothing on the nodes is undone or changed: the target stays fenced
// with whatever the run left in it (possibly a partial import), and the next run
// restores the target's settings from before the abandoned run.

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "coordinator/cluster_session.h"
#include "coordinator/coordinator_instance.h"
#include "coordinator/exit_codes.h"
#include "coordinator/journal.h"
#include "coordinator/recover_command.h"
#include "coordinator/run_state.h"

namespace mmresync::coordinator {
namespace {

void Err(const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); }

}  // namespace

int RunAbandon(const RecoverFlags& flags) {
  auto session = OpenCluster(flags.config);
  if (!session.ok()) {
    Err(absl::StrCat("mmresync: ", session.status().message()));
    return kExitUsage;
  }
  const ClusterConfig& config = session->config;
  const std::string path = Journal::PathFor(config.state_dir, config.name);
  auto last = ReadLastRun(path);
  if (!last.ok()) {
    Err(absl::StrCat("mmresync: ", last.status().message()));
    return kExitUsage;
  }
  if (!last->has_value() || (*last)->run_id != flags.abandon || !(*last)->unfinished()) {
    Err(absl::StrCat("mmresync: nothing abandoned: run ", flags.abandon,
                     " is not the unfinished run of the journal ", path,
                     last->has_value() ? absl::StrCat(" (its last run is ", (*last)->run_id, ", ",
                                                      (*last)->finished    ? "done"
                                                      : (*last)->abandoned ? "abandoned"
                                                                           : "unfinished",
                                                      ")")
                                       : " (it has no run)"));
    return kExitUsage;
  }
  const RunRecord& run = **last;
  PairView view = Discover(*session->a, *session->b, config.vip);
  RunActivity activity =
      FindRunActivity(*last, view, absl::Now(), [](const v1::CoordinatorInstance& holder) {
        return HolderProvablyGone(holder, ThisInstance(), RealProcessProbe());
      });
  if (activity.kind == RunActivity::Kind::kRunning && activity.run_id == run.run_id) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: run ", run.run_id,
                     " is in progress: ", RunActivityText(activity, flags.config),
                     "Stop its coordinator (Ctrl-C) or wait for it, then abandon it."));
    return kExitRefused;
  }
  // A coordinator killed mid-run leaves its lease on the agents until it expires; its
  // process is provably gone (else the run would be in progress above). Once the journal
  // says abandoned, the lease is taken over and let go: the next run need not wait for
  // it, and anything the agents still do for the run (an orphaned import) ends with it.
  std::vector<std::pair<AgentClient*, std::string>> stale;
  for (AgentClient* c : {session->a.get(), session->b.get()}) {
    auto now = c->GetStatus(/*brief=*/true);
    if (!now.ok() || now->lease_holder() != run.run_id) continue;
    auto from = TakeOverFrom(*now, run.run_id, ThisInstance(), RealProcessProbe());
    if (!from.ok()) {
      Err(absl::StrCat("mmresync: refused, nothing was changed: ", from.status().message()));
      return kExitRefused;
    }
    stale.emplace_back(c, *from);
  }
  Journal journal(path, config.name, run.run_id);
  v1::JournalEntry entry;
  entry.set_event("run-abandoned");
  entry.set_step(run.at_step());
  entry.set_source(run.source);
  entry.set_target(run.target);
  entry.set_detail(
      absl::StrCat("abandoned by ", ThisInstance().user(), "@", ThisInstance().host()));
  *entry.mutable_coordinator() = ThisInstance();
  if (absl::Status s = journal.Append(entry); !s.ok()) {
    Err(absl::StrCat("mmresync: run ", run.run_id, " was NOT abandoned: ", s.message()));
    return kExitFailed;
  }
  std::vector<std::string> released;
  for (const auto& [c, from] : stale) {
    auto taken = c->AcquireLease(run.run_id, "mmresync --abandon", 10, from);
    if (taken.ok() && c->ReleaseLease(run.run_id).ok()) released.push_back(c->node().name);
  }
  std::string out =
      absl::StrCat("run ", run.run_id, " abandoned",
                   run.at_step().empty() ? "" : absl::StrCat(" at step ", run.at_step()),
                   ". Nothing on the nodes was undone or changed:\n");
  for (int i = 0; i < 2; ++i) absl::StrAppend(&out, "  ", NodeStateLine(view, i), "\n");
  if (!released.empty()) {
    absl::StrAppend(&out, "Its lease, left by its vanished coordinator, was released on ",
                    absl::StrJoin(released, " and "), ".\n");
  }
  absl::StrAppend(
      &out, "The target ", run.target,
      " stays fenced with the data the run left (it may be partly imported; ",
      run.records.count("backup_path")
          ? absl::StrCat("its backup: ", run.records.at("backup_path"), " on ", run.target)
          : std::string("no backup was recorded"),
      ").\n");
  if (run.original.has_value()) {
    absl::StrAppend(&out, "Before the run ", run.target, " had ", DescribeOriginal(*run.original),
                    "; the next `mmresync recover` (same target) restores that at its end.\n");
  }
  absl::StrAppend(&out, "Next: mmresync recover --source ", run.source, "   (re-seeds ", run.target,
                  " again)\n");
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

}  // namespace mmresync::coordinator
