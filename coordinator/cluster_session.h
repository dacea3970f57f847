#pragma once

// What every command starts with: the cluster file, the coordinator's TLS identity,
// and a client per agent.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "coordinator/agent_client.h"

namespace mmresync::coordinator {

struct ClusterSession {
  ClusterConfig config;
  std::unique_ptr<AgentClient> a;
  std::unique_ptr<AgentClient> b;
};

// Errors here are configuration errors (exit 2).
absl::StatusOr<ClusterSession> OpenCluster(const std::string& config_flag);

}  // namespace mmresync::coordinator
