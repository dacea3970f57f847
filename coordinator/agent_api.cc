#include "coordinator/agent_api.h"

#include "common/status_macros.h"
#include "coordinator/agent_requests.h"

namespace mmresync::coordinator {
namespace {

absl::StatusOr<std::string> Detail(absl::StatusOr<v1::ActionReply> reply) {
  RETURN_IF_ERROR(reply.status());
  return reply->detail();
}

}  // namespace

absl::StatusOr<std::string> AgentApi::SetReadOnly(const std::string& run_id, bool read_only) {
  return Detail(Send(SetReadOnlyRequestFor(run_id, read_only)));
}

absl::StatusOr<std::string> AgentApi::Keepalived(const std::string& run_id, bool start) {
  return Detail(Send(KeepalivedRequestFor(run_id, start)));
}

absl::StatusOr<std::string> AgentApi::StopReplica(const std::string& run_id, bool reset) {
  return Detail(Send(StopReplicaRequestFor(run_id, reset)));
}

absl::StatusOr<std::string> AgentApi::StartReplica(const std::string& run_id) {
  return Detail(Send(StartReplicaRequestFor(run_id)));
}

absl::StatusOr<std::string> AgentApi::AuthorizeTransfer(const std::string& run_id,
                                                        const std::string& token,
                                                        const std::string& peer_node) {
  return Detail(Send(AuthorizeTransferRequestFor(run_id, token, peer_node)));
}

absl::StatusOr<v1::Progress> AgentApi::Backup(const std::string& run_id, const std::string& mode,
                                              const ProgressFn& progress) {
  return Stream(BackupRequestFor(run_id, mode), progress);
}

}  // namespace mmresync::coordinator
