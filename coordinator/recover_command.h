#pragma once

#include <optional>
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
};

// `mmresync plan`: the exact steps recover would run; changes nothing.
int RunPlan(const RecoverFlags& flags);
// `mmresync recover`.
int RunRecover(const RecoverFlags& flags);

}  // namespace mmresync::coordinator
