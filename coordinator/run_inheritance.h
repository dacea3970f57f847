#pragma once

// What a new run takes over from the journal's last run when that run left the target as
// it was not before it: a run given up with --abandon (the target still fenced, its data
// possibly partly replaced), one that stopped at its fence (possibly half done), or a
// `backups restore` (the target fenced with the restored data). The
// target's settings from before that run are what the new run restores at its end, and
// an abandoned run's backup stays the target's backup (a new one would only copy what
// the run left).

#include <optional>
#include <string>

#include "coordinator/journal.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

struct Inheritance {
  std::string from_run;  // empty: nothing is inherited
  bool abandoned = false;
  bool left_fenced = false;  // `backups restore` left the target fenced (run-left-fenced)
  // The target's settings from before `from_run`, carried_from_run set.
  std::optional<v1::OriginalSettings> original;
  std::string backup_path;  // the abandoned run's backup of the target, if it made one
};

// For a new run on `target`.
Inheritance InheritFromLastRun(const std::optional<RunRecord>& last, const std::string& target);

}  // namespace mmresync::coordinator
