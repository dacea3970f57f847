#pragma once

#include <functional>

// The agent's gRPC service. Each handler only checks the caller's role, validates the
// request, checks the lease, calls one component and maps absl::Status to grpc::Status.
// All of the work lives in the components (node_facts, replication_control,
// source_dump, target_import, local_backup, ...).

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include <grpcpp/grpcpp.h>

#include "agent/accounts.h"
#include "agent/db_session.h"
#include "agent/fence_keeper.h"
#include "agent/keepalived_controller.h"
#include "agent/lease.h"
#include "agent/mariadb_service_controller.h"
#include "agent/operation_slot.h"
#include "agent/target_import.h"
#include "agent/transfer_registry.h"
#include "agent/vip.h"
#include "common/config.h"
#include "mmresync/v1/agent.grpc.pb.h"

namespace mmresync::agent {

struct AgentDeps {
  AgentConfig config;
  DbConnectParams connect;  // includes the password read from password_file
  std::unique_ptr<DbSessionFactory> db;
  std::unique_ptr<KeepalivedController> keepalived;
  std::unique_ptr<MariadbServiceController> mariadb_service;  // null: control = none
  std::unique_ptr<InterfaceAddresses> addresses;
  // Credentials for calls to the peer agent (transfers), made for each transfer from the
  // [tls] files as they are then: a certificate renewed over those files is presented
  // from the next transfer on, without a restart (as the server side reloads them).
  std::function<absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>()> peer_credentials;
};

class AgentService final : public v1::Agent::Service {
 public:
  explicit AgentService(AgentDeps deps);

  grpc::Status GetStatus(grpc::ServerContext*, const v1::StatusRequest*, v1::NodeStatus*) override;
  grpc::Status AcquireLease(grpc::ServerContext*, const v1::LeaseRequest*,
                            v1::LeaseReply*) override;
  grpc::Status RenewLease(grpc::ServerContext*, const v1::LeaseRequest*, v1::LeaseReply*) override;
  grpc::Status ReleaseLease(grpc::ServerContext*, const v1::LeaseRequest*,
                            v1::LeaseReply*) override;
  grpc::Status SetReadOnly(grpc::ServerContext*, const v1::SetReadOnlyRequest*,
                           v1::ActionReply*) override;
  grpc::Status ControlKeepalived(grpc::ServerContext*, const v1::KeepalivedRequest*,
                                 v1::ActionReply*) override;
  grpc::Status StopReplica(grpc::ServerContext*, const v1::StopReplicaRequest*,
                           v1::ActionReply*) override;
  grpc::Status ChangeMaster(grpc::ServerContext*, const v1::ChangeMasterRequest*,
                            v1::ActionReply*) override;
  grpc::Status StartReplica(grpc::ServerContext*, const v1::StartReplicaRequest*,
                            v1::ActionReply*) override;
  grpc::Status BackupLocal(grpc::ServerContext*, const v1::BackupRequest*,
                           grpc::ServerWriter<v1::Progress>*) override;
  grpc::Status AuthorizeTransfer(grpc::ServerContext*, const v1::AuthorizeTransferRequest*,
                                 v1::ActionReply*) override;
  grpc::Status ImportFromPeer(grpc::ServerContext*, const v1::ImportRequest*,
                              grpc::ServerWriter<v1::Progress>*) override;
  grpc::Status FetchDump(grpc::ServerContext*, const v1::FetchDumpRequest*,
                         grpc::ServerWriter<v1::DumpChunk>*) override;
  grpc::Status BeginTransfer(grpc::ServerContext*, const v1::BeginTransferRequest*,
                             v1::BeginTransferReply*) override;
  grpc::Status FetchPart(grpc::ServerContext*, const v1::FetchPartRequest*,
                         grpc::ServerWriter<v1::DumpChunk>*) override;
  grpc::Status EndTransfer(grpc::ServerContext*, const v1::EndTransferRequest*,
                           v1::ActionReply*) override;
  // delta (agent_service_delta.cc): digests of key ranges in a delta session.
  grpc::Status DigestChunks(grpc::ServerContext*, const v1::DigestChunksRequest*,
                            v1::DigestChunksReply*) override;
  grpc::Status TableChecksums(grpc::ServerContext*, const v1::ChecksumRequest*,
                              v1::ChecksumReply*) override;
  // Backups of earlier runs (agent_service_backups.cc).
  grpc::Status ListBackups(grpc::ServerContext*, const v1::ListBackupsRequest*,
                           v1::ListBackupsReply*) override;
  grpc::Status RestoreBackup(grpc::ServerContext*, const v1::RestoreBackupRequest*,
                             v1::ActionReply*) override;
  grpc::Status PruneBackups(grpc::ServerContext*, const v1::PruneBackupsRequest*,
                            v1::PruneBackupsReply*) override;

 private:
  // OK when the peer is the coordinator and, when `run_id` is given, its instance
  // (request metadata) holds that run's lease.
  absl::Status Authorize(grpc::ServerContext* context, const std::string* run_id);
  // The fence and the run's lease, on `session`, right before `action` runs.
  absl::Status CheckDestructive(DbSession& session, absl::string_view action,
                                const std::string& run_id, const std::string& instance_id);
  AccountFilter Accounts() const;
  // agent.backups_keep after a new backup: what was pruned, or why pruning failed (the
  // new backup stands either way); empty when nothing was old enough.
  std::string ApplyRetention();
  // deps_.peer_credentials(), its error naming the [tls] files.
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials() const;
  // The peer agent's node name, for the transfer RPCs: PermissionDenied for the
  // coordinator and for any agent but the pinned peer ([peer] name).
  absl::StatusOr<std::string> AgentPeer(grpc::ServerContext* context);
  // The dump method's import (one mariadb-dump stream piped into the mariadb client).
  absl::StatusOr<v1::ImportResult> ImportDump(const v1::ImportRequest& r,
                                              const TargetImportParams& params);
  // The physical method's import (physical_import), its transfer session begun here.
  absl::StatusOr<v1::ImportResult> ImportPhysicalFromPeer(const v1::ImportRequest& r,
                                                          const TargetImportParams& params);
  // The delta method's import (delta_import), its transfer session begun here
  // (agent_service_delta.cc).
  absl::StatusOr<v1::ImportResult> ImportDeltaFromPeer(const v1::ImportRequest& r,
                                                       const TargetImportParams& params,
                                                       int compression);
  // FetchPart with key ranges (delta).
  absl::Status ServeRanges(grpc::ServerContext* context, const v1::FetchPartRequest& r,
                           std::shared_ptr<TransferSession> session,
                           const std::function<bool(const v1::DumpChunk&)>& send);
  grpc::Status Fail(absl::string_view rpc, const absl::Status& status);

  AgentDeps deps_;
  LeaseTable leases_;
  TransferTokens tokens_;
  OperationSlot slot_;  // one import, dump or backup at a time
  FenceKeeper fence_;   // read_only back ON if a fenced node's mariadbd restarts mid-run
  // Declared last: its watchdog thread uses leases_ and must stop first.
  TransferRegistry transfers_;
};

}  // namespace mmresync::agent
