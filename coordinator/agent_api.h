#pragma once

// What a recovery step may ask of an agent. AgentClient sends it over gRPC; unit tests
// use a recording fake (tests/unit/recording_agent.h) to check the request protos a step
// sends. The calls that change a node take the request proto itself, built with
// agent_requests.h, the same values `plan` describes.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

class AgentApi {
 public:
  virtual ~AgentApi() = default;

  virtual const NodeEntry& node() const = 0;
  // `brief`: VIP, keepalived and lease only (StatusRequest.brief), for polling.
  virtual absl::StatusOr<v1::NodeStatus> GetStatus(bool brief = false) = 0;
  // Variables, binlog position and replica state without table metadata.
  virtual absl::StatusOr<v1::NodeStatus> GetReplicationStatus() = 0;

  virtual absl::StatusOr<v1::ActionReply> Send(const v1::SetReadOnlyRequest& request) = 0;
  virtual absl::StatusOr<v1::ActionReply> Send(const v1::KeepalivedRequest& request) = 0;
  virtual absl::StatusOr<v1::ActionReply> Send(const v1::StopReplicaRequest& request) = 0;
  virtual absl::StatusOr<v1::ActionReply> Send(const v1::ChangeMasterRequest& request) = 0;
  virtual absl::StatusOr<v1::ActionReply> Send(const v1::StartReplicaRequest& request) = 0;
  virtual absl::StatusOr<v1::ActionReply> Send(const v1::AuthorizeTransferRequest& request) = 0;

  using ProgressFn = std::function<void(const v1::Progress&)>;
  // Streams; the last Progress (with backup / result) is returned.
  virtual absl::StatusOr<v1::Progress> Stream(const v1::BackupRequest& request,
                                              const ProgressFn& progress) = 0;
  virtual absl::StatusOr<v1::Progress> Stream(const v1::ImportRequest& request,
                                              const ProgressFn& progress) = 0;

  // Shorthands: the request from agent_requests.h, sent; the agent's reply detail.
  absl::StatusOr<std::string> SetReadOnly(const std::string& run_id, bool read_only);
  absl::StatusOr<std::string> Keepalived(const std::string& run_id, bool start);
  absl::StatusOr<std::string> StopReplica(const std::string& run_id, bool reset);
  absl::StatusOr<std::string> StartReplica(const std::string& run_id);
  absl::StatusOr<std::string> AuthorizeTransfer(const std::string& run_id, const std::string& token,
                                                const std::string& peer_node);
  // `mode`: "park" | "dump" (BackupRequest.mode).
  absl::StatusOr<v1::Progress> Backup(const std::string& run_id, const std::string& mode,
                                      const ProgressFn& progress);
  absl::StatusOr<v1::Progress> Import(const v1::ImportRequest& request,
                                      const ProgressFn& progress) {
    return Stream(request, progress);
  }
};

}  // namespace mmresync::coordinator
