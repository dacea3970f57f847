#pragma once

// `plan --json`: the steps recover would run, as one JSON object for scripts.

#include <set>
#include <string>
#include <vector>

#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

struct PlanSummary {
  std::string cluster;
  std::string source;
  std::string target;
  std::string reason;  // why this source
  std::string method;
  std::string resume_run;     // "" unless --resume
  std::string method_chosen;  // what runs: delta | logical | dump | physical
  std::string method_reason;  // why (for auto: what it found)
};

// {"version", "cluster", "source", "target", "reason", "method", "resume_run",
//  "method_chosen", "method_reason",
//  "steps": [{"index", "id", "title", "node", "nodes": [...], "actions": [...],
//             "skipped_on_resume"}]}
std::string RenderPlanJson(const PlanSummary& summary, const std::vector<Step>& steps,
                           const std::set<std::string>& skipped_on_resume);

}  // namespace mmresync::coordinator
