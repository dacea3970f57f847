#pragma once

// Version skew between the coordinator and the two agents. Mixed versions usually work,
// but an operator upgrading a pair should see it rather than debug it later.

#include <string>
#include <vector>

#include "coordinator/diagnosis.h"

namespace mmresync::coordinator {

// One line per disagreement, naming each side and its version; empty when every
// reachable agent runs `coordinator_version`. Unreachable agents are not compared (status
// reports them already). An agent that reports no version predates the field.
std::vector<std::string> VersionWarnings(const PairView& view,
                                         const std::string& coordinator_version);

}  // namespace mmresync::coordinator
