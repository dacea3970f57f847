#pragma once

// What a run leaves on this node that outlives the agent's memory, for
// `mmresync-agent check` (keepalived's vrrp_script), which runs as its own process:
//   <state_dir>/fenced             a run stopped keepalived here (run id inside); removed
//                                  just before a run starts keepalived again
//   <state_dir>/import-incomplete  an import began replacing the user data (run id
//                                  inside); removed when it finished
//   <state_dir>/replication-stopped  a run stopped this node's replication threads (run
//                                  id inside); removed when replication is started again.
//                                  On the source (the VIP holder) that stop is part of
//                                  the run, not a reason to give the VIP away
// Written crash-safely; a marker that cannot be written fails the RPC that needs it.

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace mmresync::agent {

enum class NodeMarker { kFenced, kImportIncomplete, kReplicationStopped };

absl::Status SetMarker(const std::string& state_dir, NodeMarker marker, const std::string& run_id);
// OK when it was not there.
absl::Status ClearMarker(const std::string& state_dir, NodeMarker marker);
// The run id in the marker, nullopt when there is none; an error when it cannot be read.
absl::StatusOr<std::optional<std::string>> ReadMarker(const std::string& state_dir,
                                                      NodeMarker marker);

}  // namespace mmresync::agent
