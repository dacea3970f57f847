#include "coordinator/cluster_session.h"

#include <thread>

#include "common/status_macros.h"
#include "common/tls.h"

namespace mmresync::coordinator {

absl::StatusOr<ClusterSession> OpenCluster(const std::string& config_flag) {
  ClusterSession session;
  std::string path = ConfigPathFromEnv(config_flag, kDefaultClusterConfig);
  ASSIGN_OR_RETURN(session.config, LoadClusterConfig(path));
  ASSIGN_OR_RETURN(auto creds, MakeChannelCredentials(session.config.tls));
  session.a = std::make_unique<AgentClient>(session.config.nodes[0], creds, session.config.path,
                                            session.config.tls);
  session.b = std::make_unique<AgentClient>(session.config.nodes[1], creds, session.config.path,
                                            session.config.tls);
  return session;
}

absl::Status VerifyAgentIdentities(ClusterSession& session) {
  absl::Status b;
  std::thread other([&] { b = session.b->VerifyIdentity(); });
  absl::Status a = session.a->VerifyIdentity();
  other.join();
  return a.ok() ? b : a;
}

}  // namespace mmresync::coordinator
