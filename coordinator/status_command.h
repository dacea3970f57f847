#pragma once

#include <string>

#include "coordinator/diagnosis.h"

namespace mmresync::coordinator {

// `mmresync status`: both nodes side by side, replication both ways, a diagnosis, and a
// run in progress (holder, step, for how long) or an unfinished one (how to resume it).
// Exit 0 healthy, 1 degraded, 2 error.
int RunStatus(const std::string& config_flag, bool json);

// The side-by-side table, also printed by `recover` before and after.
std::string RenderStatusTable(const PairView& view, const Diagnosis& diagnosis);
// For each node that keeps a physical import's swap record: whether the swap finished,
// where the old datadir is, and what finishes the run. Empty when neither keeps one.
std::string PhysicalSwapText(const PairView& view);
// `run_json`: RunActivityJson (null when no run is in progress or unfinished).
std::string RenderStatusJson(const std::string& cluster, const PairView& view,
                             const Diagnosis& diagnosis, const std::string& run_json = "null");

}  // namespace mmresync::coordinator
