#pragma once

// The physical method's swap record (<state_dir>/physical-swap.pb, agent/physical_swap.h)
// as operators see it, and its end. `status` shows a record the agent still keeps and
// what finishes it. A settled record is kept only for a repeated import of its run
// (`recover --resume` after the agent died past the swap); once the run's phase 1
// reaches this node, the coordinator has journaled the import done and never asks for
// it again, so the record (with the node's password hashes) is removed then.

#include <string>

#include "absl/status/status.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// Sets `reply`'s physical_swap when `state_dir` holds a swap record (its error when the
// record cannot be read); leaves it unset otherwise.
void ReportSwapRecord(const std::string& state_dir, v1::NodeStatus* reply);

// Removes the record when it is settled and of `run_id`; nothing otherwise (an
// unsettled one is finished by the agent's restart, another run's by its next import).
absl::Status ForgetSettledSwap(const std::string& state_dir, const std::string& run_id);

}  // namespace mmresync::agent
