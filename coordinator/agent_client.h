#pragma once

// The coordinator's typed client for one agent. Every unary call has a deadline;
// streaming calls have none (a large import takes hours) but can be cancelled, which
// the agents turn into killing their child processes.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "coordinator/agent_api.h"
#include "mmresync/v1/agent.grpc.pb.h"

namespace mmresync::coordinator {

class AgentClient : public AgentApi {
 public:
  // `config_path`: the cluster file `node` comes from, for the messages that name it.
  // `tls`: the coordinator's [tls] files, named when a handshake fails.
  AgentClient(NodeEntry node, std::shared_ptr<grpc::ChannelCredentials> creds,
              std::string config_path = "", TlsFiles tls = {});

  const NodeEntry& node() const override { return node_; }

  // Mutual identity: the agent at node().agent must be node().name. Its certificate (the
  // one the call's own connection was made with) must carry urn:mmresync:agent:<name>
  // and no other role, and its status reply must name that node. Every reply is checked;
  // calls that change anything first make sure a check passed on this client (a brief
  // status call when none has yet). VerifyIdentity() makes that first check: OK also
  // when the agent could not be reached (the caller's discovery reports that), the
  // identity error (PermissionDenied, naming the cluster.toml entry) otherwise.
  absl::Status VerifyIdentity();
  // The end of validity of the certificate the agent presented on the last status call.
  std::optional<absl::Time> presented_cert_not_after() const;

  // `brief`: VIP, keepalived and lease only (StatusRequest.brief), for polling.
  absl::StatusOr<v1::NodeStatus> GetStatus(bool brief = false) override;
  // The database's variables, binlog position and replica state without table metadata
  // (StatusRequest.replication_only): what the replication waits poll, cheap at any
  // number of tables.
  absl::StatusOr<v1::NodeStatus> GetReplicationStatus() override;
  // As ThisInstance(); `take_over_from`: the id of a holder of this run's lease that
  // TakeOverFrom() found provably gone.
  absl::StatusOr<v1::LeaseReply> AcquireLease(const std::string& run_id, const std::string& holder,
                                              int ttl_seconds,
                                              const std::string& take_over_from = "");
  absl::StatusOr<v1::LeaseReply> RenewLease(const std::string& run_id, int ttl_seconds);
  absl::Status ReleaseLease(const std::string& run_id);
  absl::StatusOr<v1::ActionReply> Send(const v1::SetReadOnlyRequest& request) override;
  absl::StatusOr<v1::ActionReply> Send(const v1::KeepalivedRequest& request) override;
  absl::StatusOr<v1::ActionReply> Send(const v1::StopReplicaRequest& request) override;
  absl::StatusOr<v1::ActionReply> Send(const v1::ChangeMasterRequest& request) override;
  absl::StatusOr<v1::ActionReply> Send(const v1::StartReplicaRequest& request) override;
  absl::StatusOr<v1::ActionReply> Send(const v1::AuthorizeTransferRequest& request) override;
  absl::StatusOr<v1::ChecksumReply> TableChecksums();
  // Backups of earlier runs on this node (mmresync backups).
  absl::StatusOr<v1::ListBackupsReply> ListBackups();
  absl::StatusOr<std::string> RestoreBackup(const std::string& run_id,
                                            const std::string& backup_run_id);
  absl::StatusOr<v1::PruneBackupsReply> PruneBackups(const std::string& run_id, uint32_t keep);

  absl::StatusOr<v1::Progress> Stream(const v1::BackupRequest& request,
                                      const ProgressFn& progress) override;
  absl::StatusOr<v1::Progress> Stream(const v1::ImportRequest& request,
                                      const ProgressFn& progress) override;

  // Cancels the streaming call in flight, if any (Ctrl-C).
  void CancelStreams();

 private:
  absl::Status Wrap(const grpc::Status& status, absl::string_view what) const;
  // Wrap(), then the identity of the server that answered (see VerifyIdentity()).
  absl::Status Finish(const grpc::ClientContext& context, const grpc::Status& status,
                      absl::string_view what);
  absl::Status CheckServerIdentity(const grpc::ClientContext& context) const;
  absl::Status EnsureIdentity();
  absl::StatusOr<v1::NodeStatus> FetchStatus(const v1::StatusRequest& request);
  std::string EntryText() const;
  void SetDeadline(grpc::ClientContext* context, absl::Duration d) const;
  absl::StatusOr<v1::Progress> RunStream(
      std::function<std::unique_ptr<grpc::ClientReader<v1::Progress>>(grpc::ClientContext*)> open,
      const ProgressFn& progress, absl::string_view what);

  NodeEntry node_;
  std::string config_path_;
  TlsFiles tls_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  mutable absl::Mutex mu_;
  grpc::ClientContext* streaming_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool identity_verified_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Time> presented_not_after_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mmresync::coordinator
