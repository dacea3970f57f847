#pragma once

// This coordinator process as the agents' leases know it (a random id, host, user, pid,
// start time), and the rule for taking over a run's lease on `recover --resume`: only
// when the lease expired, or when its holder is provably gone (the same host, and its
// process no longer runs). A second terminal resuming a run that another coordinator is
// still running is refused, naming that coordinator.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/support/client_interceptor.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

// Made once per process.
const v1::CoordinatorInstance& ThisInstance();

// Adds ThisInstance().id() as the `mmresync-instance` metadata to every call of a channel.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> InstanceMetadata();

// Adds `node` (the [[node]] a channel dials) as the `mmresync-node` metadata to every
// call of a channel: the agent refuses a call meant for another node (see
// instance_metadata.h), so a reconnect that reaches another agent changes nothing there.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> ExpectedNodeMetadata(
    const std::string& node);

// What a process looks like from here; injectable for tests.
struct ProcessProbe {
  // Whether `pid` exists on this host.
  std::function<bool(uint32_t pid)> alive;
  // When `pid` started, if known.
  std::function<std::optional<absl::Time>(uint32_t pid)> started;
};
ProcessProbe RealProcessProbe();

// Whether `holder` is provably gone, seen from `me`: the same host, and its pid no
// longer runs, or runs a process that started after the holder did (pid reused).
bool HolderProvablyGone(const v1::CoordinatorInstance& holder, const v1::CoordinatorInstance& me,
                        const ProcessProbe& probe);

// For a resumed run, from one agent's status: "" to acquire normally (no live lease of
// this run by another instance), the holder's id to take over from, or
// FailedPrecondition naming the holder, its host and when its lease expires.
absl::StatusOr<std::string> TakeOverFrom(const v1::NodeStatus& status, const std::string& run_id,
                                         const v1::CoordinatorInstance& me,
                                         const ProcessProbe& probe);

}  // namespace mmresync::coordinator
