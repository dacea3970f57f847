#pragma once

// Runs a plan: one step at a time, journaling each start and finish with what it
// recorded, showing progress, and stopping at the first failure or at Ctrl-C. It never
// undoes the fence on failure: the target stays fenced until a resumed run finishes.

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "coordinator/journal.h"
#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

struct ExecutionOutcome {
  absl::Status status;
  std::string failed_step;  // id; empty when all succeeded
  std::vector<std::string> completed;
  bool interrupted = false;     // stopped at a step boundary because of Ctrl-C
  bool journal_failed = false;  // stopped because a journal record could not be written
};

// `done` holds the ids the journal shows finished (for --resume); those are skipped
// unless the step is marked rerun_on_resume and not superseded (SkippedOnResume).
ExecutionOutcome ExecutePlan(std::vector<Step>& steps, RunContext& ctx, Journal& journal,
                             const std::set<std::string>& done);

}  // namespace mmresync::coordinator
