#pragma once

#include <string>

#include "coordinator/diagnosis.h"

namespace mmresync::coordinator {

// `mmresync status`: both nodes side by side, replication both ways, a diagnosis.
// Exit 0 healthy, 1 degraded, 2 error.
int RunStatus(const std::string& config_flag, bool json);

// The side-by-side table, also printed by `recover` before and after.
std::string RenderStatusTable(const PairView& view, const Diagnosis& diagnosis);
std::string RenderStatusJson(const std::string& cluster, const PairView& view,
                             const Diagnosis& diagnosis);

}  // namespace mmresync::coordinator
