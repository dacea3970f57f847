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

// Mutual identity before anything else (AgentClient::VerifyIdentity() on both agents, in
// parallel): the identity error of the first agent that is not the node its [[node]]
// entry names (exit 3, nothing changed). An unreachable agent is not an error here; the
// command's discovery reports it.
absl::Status VerifyAgentIdentities(ClusterSession& session);

}  // namespace mmresync::coordinator
