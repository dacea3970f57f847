#include "coordinator/executor.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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
      outcome.status = absl::CancelledError("interrupted (Ctrl-C)");
      outcome.failed_step = step.id;
      break;
    }
    v1::JournalEntry start;
    start.set_event("step-start");
    start.set_step(step.id);
    start.set_node(step.node);
    if (absl::Status s = journal.Append(start); !s.ok()) {
      outcome.status = s;
      outcome.failed_step = step.id;
      break;
    }
    ctx.sink->StepStarted(ctx.current);
    absl::Time began = absl::Now();
    absl::Status status = step.run(ctx);
    if (status.ok() && ctx.interrupted != nullptr && ctx.interrupted->load()) {
      // The step finished, but the operator asked to stop: record it as done and stop.
      outcome.completed.push_back(step.id);
    }
    absl::Duration took = absl::Now() - began;

    v1::JournalEntry end;
    end.set_event(status.ok() ? "step-done" : "step-failed");
    end.set_step(step.id);
    end.set_node(step.node);
    end.set_detail(status.ok() ? absl::StrCat("ok in ", absl::FormatDuration(took))
                               : std::string(status.message()));
    for (const auto& [k, v] : ctx.records) (*end.mutable_records())[k] = v;
    absl::Status journaled = journal.Append(end);
    if (!journaled.ok()) log::Error(journaled.message());

    ctx.sink->StepFinished(ctx.current, status.ok(),
                           status.ok() ? "ok" : std::string(status.message()), took);
    if (!status.ok()) {
      outcome.status = status;
      outcome.failed_step = step.id;
      break;
    }
    if (outcome.completed.empty() || outcome.completed.back() != step.id) {
      outcome.completed.push_back(step.id);
    }
  }
  return outcome;
}

}  // namespace mmresync::coordinator
