#include "coordinator/executor.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/fault_point.h"
#include "common/log.h"

namespace mmresync::coordinator {

ExecutionOutcome ExecutePlan(std::vector<Step>& steps, RunContext& ctx, Journal& journal,
                             const std::set<std::string>& done) {
  ExecutionOutcome outcome;
  int total = static_cast<int>(steps.size());
  for (int i = 0; i < total; ++i) {
    Step& step = steps[i];
    ctx.current = StepInfo{i + 1, total, step.id, step.title, step.node};
    if (SkippedOnResume(step, done)) {
      ctx.sink->StepSkipped(ctx.current, "done in the interrupted run");
      outcome.completed.push_back(step.id);
      continue;
    }
    if (ctx.interrupted != nullptr && ctx.interrupted->load()) {
      outcome.status = absl::CancelledError("interrupted by the operator (Ctrl-C)");
      outcome.interrupted = true;
      outcome.failed_step = step.id;
      break;
    }
    v1::JournalEntry start;
    start.set_event("step-start");
    start.set_step(step.id);
    start.set_node(step.node);
    if (absl::Status s = journal.Append(start); !s.ok()) {
      outcome.status =
          absl::DataLossError(absl::StrCat(step.node, ": step ", step.id,
                                           " not started: the journal could not record "
                                           "its start (",
                                           s.message(), ")"));
      outcome.failed_step = step.id;
      outcome.journal_failed = true;
      break;
    }
    ctx.sink->StepStarted(ctx.current);
    absl::Time began = absl::Now();
    // A precondition that fails is the step failing: journaled as such, nothing sent.
    absl::Status status = step.precondition ? step.precondition(ctx) : absl::OkStatus();
    if (status.ok()) status = step.run(ctx);
    if (status.ok() && ctx.interrupted != nullptr && ctx.interrupted->load()) {
      // The step finished, but the operator asked to stop: record it as done and stop.
      outcome.completed.push_back(step.id);
    }
    absl::Duration took = absl::Now() - began;
    if (status.ok()) {
      // The step's effect is in place, its "done" is not journaled yet.
      MMRESYNC_FAULT_POINT_OR(absl::StrCat("step_ran:", step.id), [&](absl::Status s) {
        outcome.status = s;
        outcome.failed_step = step.id;
        return outcome;
      });
    }

    v1::JournalEntry end;
    end.set_event(status.ok() ? "step-done" : "step-failed");
    end.set_step(step.id);
    end.set_node(step.node);
    end.set_detail(status.ok() ? absl::StrCat("ok in ", absl::FormatDuration(took))
                               : std::string(status.message()));
    for (const auto& [k, v] : ctx.records) (*end.mutable_records())[k] = v;
    absl::Status journaled = journal.Append(end);

    ctx.sink->StepFinished(ctx.current, status.ok(),
                           status.ok() ? "ok" : std::string(status.message()), took);
    if (!status.ok()) {
      outcome.status = status;
      outcome.failed_step = step.id;
      if (!journaled.ok()) log::Error(journaled.message());
      break;
    }
    if (!journaled.ok()) {
      // The journal is the commit point: a step that is not recorded done did not
      // happen as far as a resume knows, so no later step may build on it.
      outcome.status = absl::DataLossError(absl::StrCat(
          step.node, ": step ", step.id, " finished, but the journal could not record it (",
          journaled.message(), "); the run stops here and --resume runs the step again"));
      outcome.failed_step = step.id;
      outcome.journal_failed = true;
      if (!outcome.completed.empty() && outcome.completed.back() == step.id) {
        outcome.completed.pop_back();
      }
      break;
    }
    if (outcome.completed.empty() || outcome.completed.back() != step.id) {
      outcome.completed.push_back(step.id);
    }
    MMRESYNC_FAULT_POINT_OR(absl::StrCat("step_done:", step.id), [&](absl::Status s) {
      outcome.status = s;
      outcome.failed_step = step.id;
      return outcome;
    });
  }
  return outcome;
}

}  // namespace mmresync::coordinator
