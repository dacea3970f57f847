#pragma once

// What is known about runs on a pair, from the journal and the agents' leases, and how
// it is said: a run in progress (who holds it, at which step, for how long), an
// interrupted one (where it stopped, and the commands to resume or abandon it), each
// node's state in one line. Used by `status`, and by `recover` to refuse a new run over
// an unfinished one.

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "coordinator/diagnosis.h"
#include "coordinator/journal.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

// `mmresync recover --resume`, with `--config FILE` when one was given (so that it can be
// pasted as is).
std::string ResumeCommand(const std::string& config_flag);
// `mmresync recover --abandon RUN`, likewise.
std::string AbandonCommand(const std::string& config_flag, const std::string& run_id);

// "db2: read_only=ON, keepalived stopped, VIP not held, replicates from db1 (IO No, SQL
// No), lease: run R" (or why it could not be read).
std::string NodeStateLine(const PairView& view, int i);

struct RunActivity {
  enum class Kind { kNone, kRunning, kInterrupted };
  Kind kind = Kind::kNone;
  std::string run_id;
  std::string step;                 // the step it is at (from the journal), may be empty
  std::optional<RunRecord> record;  // the journal's view, when the journal knows the run
  // kRunning: the lease as an agent reports it.
  v1::CoordinatorInstance holder;
  uint64_t lease_expires_in_ms = 0;
  absl::Duration running_for = absl::ZeroDuration();  // since the run's first start
};

// A live lease on either agent is a run in progress (whatever the journal says: it may
// be another coordinator host's), unless `holder_gone` says its coordinator is provably
// gone and the journal knows the run; else an unfinished run in the journal is
// interrupted.
RunActivity FindRunActivity(
    const std::optional<RunRecord>& last, const PairView& view, absl::Time now,
    const std::function<bool(const v1::CoordinatorInstance&)>& holder_gone = nullptr);

// Lines for people (empty for kNone), ending in a newline.
std::string RunActivityText(const RunActivity& activity, const std::string& config_flag);
// A JSON object, or null for kNone.
std::string RunActivityJson(const RunActivity& activity, const std::string& config_flag);

// Why `recover` without --resume does not start: the run, its step, each node's state,
// and the commands to resume or abandon it.
std::string UnfinishedRunRefusal(const RunActivity& activity, const PairView& view,
                                 const std::string& config_flag);

// The settings the run will change, as they are now (for a new run's first record).
v1::OriginalSettings ReadOriginalSettings(const PairView& view, int source, int target);
// "read_only=OFF, keepalived running" for the target.
std::string DescribeOriginal(const v1::OriginalSettings& original);

}  // namespace mmresync::coordinator
