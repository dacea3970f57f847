#pragma once

#include <optional>
#include <set>
#include <string>

#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

struct RecoverFlags {
  std::string config;
  std::optional<std::string> source;
  bool yes = false;
  bool resume = false;
  bool json = false;
  bool force = false;  // re-seed even a pair that looks healthy
  RecoverOptions options;
  // The option flags given on the command line ("--method", "--skip-backup", ...): a
  // resume refuses those that differ from the run's recorded options.
  std::set<std::string> given;
  std::string abandon;  // --abandon RUN
};

// `mmresync plan`: the exact steps recover would run; changes nothing.
int RunPlan(const RecoverFlags& flags);
// `mmresync recover`.
int RunRecover(const RecoverFlags& flags);
// `mmresync recover --abandon RUN`: the journal records the unfinished run as given up;
// nothing on the nodes changes (the target stays fenced).
int RunAbandon(const RecoverFlags& flags);

}  // namespace mmresync::coordinator
