#pragma once

// A replication thread that stopped on an error does not start again by itself: waiting
// for it is pointless. Both the phase waits of a run and `verify` fail at once with the
// server's own error text.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

// FailedPrecondition naming `node`, the thread and the error (Last_SQL_Error or
// Last_IO_Error, control bytes escaped: it may quote row data) when a thread is not running
// ("No") and has an error; nullopt otherwise (running, connecting/retrying, or stopped
// without an error).
std::optional<absl::Status> StoppedReplicationError(const std::string& node,
                                                    const v1::ReplicaStatus& replica);

}  // namespace mmresync::coordinator
