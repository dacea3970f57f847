#include "coordinator/agent_client.h"
#include "absl/strings/string_view.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/cert_info.h"
#include "common/escape.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "coordinator/coordinator_instance.h"
#include "coordinator/transport_error.h"

namespace mmresync::coordinator {
namespace {

constexpr absl::Duration kUnaryDeadline = absl::Seconds(30);
// CHANGE MASTER and START SLAVE can wait on the server's replication locks.
constexpr absl::Duration kReplicationDeadline = absl::Seconds(120);

}  // namespace

namespace {

// Every call names this coordinator instance (agent.proto's header): the agents act only
// for the instance that holds the run's lease. And it names the node it is meant for: the
// agent refuses it when that is not its own name, before it acts (ExpectedNodeMetadata).
std::shared_ptr<grpc::Channel> InstanceChannel(const NodeEntry& node,
                                               std::shared_ptr<grpc::ChannelCredentials> creds) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(InstanceMetadata());
  interceptors.push_back(ExpectedNodeMetadata(node.name));
  return MakeChannel(node.agent, std::move(creds), std::move(interceptors));
}

}  // namespace

AgentClient::AgentClient(NodeEntry node, std::shared_ptr<grpc::ChannelCredentials> creds,
                         std::string config_path, TlsFiles tls)
    : node_(std::move(node)),
      config_path_(std::move(config_path)),
      tls_(std::move(tls)),
      channel_(InstanceChannel(node_, std::move(creds))),
      stub_(v1::Agent::NewStub(channel_)) {}

absl::Status AgentClient::Wrap(const grpc::Status& status, absl::string_view what) const {
  if (status.ok()) return absl::OkStatus();
  absl::Status s = FromGrpc(status);
  // Agents prefix their own node name, also to an UNAVAILABLE or DEADLINE_EXCEEDED of their
  // own (the target's link to the source agent cut mid-stream): those are the agent's
  // words, not a failure of the connection to it. Only transport-level failures are
  // explained here.
  if (absl::StartsWith(s.message(), node_.name + ":")) return s;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    const std::string where =
        absl::StrCat(config_path_.empty() ? std::string("cluster.toml") : config_path_,
                     " [[node]] ", node_.name);
    return absl::Status(s.code(),
                        absl::StrCat(node_.name, ": ", what, ": ",
                                     ExplainTransportFailure(
                                         status.error_message(),
                                         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED,
                                         node_, where, tls_)));
  }
  return Annotate(s, absl::StrCat(node_.name, ": ", what));
}

void AgentClient::SetDeadline(grpc::ClientContext* context, absl::Duration d) const {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(d)));
}

std::string AgentClient::EntryText() const {
  return absl::StrCat(config_path_.empty() ? std::string("cluster.toml") : config_path_,
                      ": [[node]] name = \"", node_.name, "\", agent = \"", node_.agent, "\"");
}

absl::Status AgentClient::CheckServerIdentity(const grpc::ClientContext& context) const {
  auto role = ServerRoleOf(context);
  std::string found;
  if (!role.ok()) {
    found = std::string(role.status().message());
  } else if (role->kind == PeerRole::Kind::kCoordinator) {
    found =
        absl::StrCat("its certificate is a coordinator's (", kCoordinatorUri, "), not an agent's");
  } else if (role->node != node_.name) {
    found = absl::StrCat("its certificate names agent ", role->node, " (", kAgentUriPrefix,
                         role->node, ")");
  } else {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      EntryText(), ": the server there is not agent ", node_.name, ": ", EscapeUntrusted(found),
      "; check that entry's agent address (are two nodes' addresses swapped?)"));
}

absl::Status AgentClient::Finish(const grpc::ClientContext& context, const grpc::Status& status,
                                 absl::string_view what) {
  // An agent refuses a call meant for another node (ExpectedNodeMetadata); its
  // certificate then says which agent answered, in the words that name cluster.toml.
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    RETURN_IF_ERROR(CheckServerIdentity(context));
  }
  if (!status.ok()) return Wrap(status, what);
  return CheckServerIdentity(context);
}

absl::StatusOr<v1::NodeStatus> AgentClient::GetStatus(bool brief) {
  v1::StatusRequest request;
  request.set_brief(brief);
  return FetchStatus(request);
}

absl::StatusOr<v1::NodeStatus> AgentClient::GetReplicationStatus() {
  v1::StatusRequest request;
  request.set_replication_only(true);
  return FetchStatus(request);
}

absl::StatusOr<v1::NodeStatus> AgentClient::FetchStatus(const v1::StatusRequest& request) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  v1::NodeStatus reply;
  grpc::Status s = stub_->GetStatus(&ctx, request, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "status"));
  if (reply.node() != node_.name) {
    return absl::PermissionDeniedError(absl::StrCat(
        EntryText(), ": the agent there answers as node \"", EscapeUntrusted(reply.node()),
        "\", not ", node_.name, "; check that entry and the agent's agent.name"));
  }
  std::optional<absl::Time> not_after;
  for (const grpc::string_ref& pem :
       ctx.auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
    auto facts = CertificateFactsFromPem(absl::string_view(pem.data(), pem.size()), "agent");
    if (facts.ok()) not_after = facts->not_after;
  }
  absl::MutexLock lock(&mu_);
  identity_verified_ = true;
  presented_not_after_ = not_after;
  return reply;
}

absl::Status AgentClient::VerifyIdentity() {
  absl::Status s = GetStatus(/*brief=*/true).status();
  if (absl::IsPermissionDenied(s) && absl::StrContains(s.message(), EntryText())) return s;
  return absl::OkStatus();
}

absl::Status AgentClient::EnsureIdentity() {
  {
    absl::MutexLock lock(&mu_);
    if (identity_verified_) return absl::OkStatus();
  }
  return GetStatus(/*brief=*/true).status();
}

std::optional<absl::Time> AgentClient::presented_cert_not_after() const {
  absl::MutexLock lock(&mu_);
  return presented_not_after_;
}

absl::StatusOr<v1::LeaseReply> AgentClient::AcquireLease(const std::string& run_id,
                                                         const std::string& holder, int ttl_seconds,
                                                         const std::string& take_over_from) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  v1::LeaseRequest req;
  req.set_run_id(run_id);
  req.set_holder(holder);
  *req.mutable_instance() = ThisInstance();
  req.set_take_over_from(take_over_from);
  req.set_ttl_seconds(static_cast<uint32_t>(ttl_seconds));
  v1::LeaseReply reply;
  grpc::Status s = stub_->AcquireLease(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "lease"));
  return reply;
}

absl::StatusOr<v1::LeaseReply> AgentClient::RenewLease(const std::string& run_id, int ttl_seconds) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, absl::Seconds(10));
  v1::LeaseRequest req;
  req.set_run_id(run_id);
  req.set_ttl_seconds(static_cast<uint32_t>(ttl_seconds));
  *req.mutable_instance() = ThisInstance();
  v1::LeaseReply reply;
  grpc::Status s = stub_->RenewLease(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "renew lease"));
  return reply;
}

absl::Status AgentClient::ReleaseLease(const std::string& run_id) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, absl::Seconds(10));
  v1::LeaseRequest req;
  req.set_run_id(run_id);
  *req.mutable_instance() = ThisInstance();
  v1::LeaseReply reply;
  return Finish(ctx, stub_->ReleaseLease(&ctx, req, &reply), "release lease");
}

absl::StatusOr<v1::ActionReply> AgentClient::Send(const v1::SetReadOnlyRequest& req) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  v1::ActionReply reply;
  grpc::Status s = stub_->SetReadOnly(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "set read_only"));
  return reply;
}

absl::StatusOr<v1::ActionReply> AgentClient::Send(const v1::KeepalivedRequest& req) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, absl::Seconds(90));
  v1::ActionReply reply;
  grpc::Status s = stub_->ControlKeepalived(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(
      ctx, s,
      req.action() == v1::KeepalivedRequest::START ? "keepalived start" : "keepalived stop"));
  return reply;
}

absl::StatusOr<v1::ActionReply> AgentClient::Send(const v1::StopReplicaRequest& req) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kReplicationDeadline);
  v1::ActionReply reply;
  grpc::Status s = stub_->StopReplica(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "stop replica"));
  return reply;
}

absl::StatusOr<v1::ActionReply> AgentClient::Send(const v1::ChangeMasterRequest& req) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kReplicationDeadline);
  v1::ActionReply reply;
  grpc::Status s = stub_->ChangeMaster(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "change master"));
  return reply;
}

absl::StatusOr<v1::ActionReply> AgentClient::Send(const v1::StartReplicaRequest& req) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kReplicationDeadline);
  v1::ActionReply reply;
  grpc::Status s = stub_->StartReplica(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "start replica"));
  return reply;
}

absl::StatusOr<v1::ActionReply> AgentClient::Send(const v1::AuthorizeTransferRequest& req) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  v1::ActionReply reply;
  grpc::Status s = stub_->AuthorizeTransfer(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "authorize transfer"));
  return reply;
}

absl::StatusOr<v1::ChecksumReply> AgentClient::TableChecksums() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, absl::Hours(2));  // CHECKSUM TABLE reads every row
  v1::ChecksumReply reply;
  grpc::Status s = stub_->TableChecksums(&ctx, v1::ChecksumRequest(), &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "checksums"));
  return reply;
}

absl::StatusOr<v1::ListBackupsReply> AgentClient::ListBackups() {
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  v1::ListBackupsReply reply;
  grpc::Status s = stub_->ListBackups(&ctx, v1::ListBackupsRequest(), &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "backups list"));
  return reply;
}

absl::StatusOr<std::string> AgentClient::RestoreBackup(const std::string& run_id,
                                                       const std::string& backup_run_id) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, absl::Hours(12));  // a dump backup re-imports every row
  v1::RestoreBackupRequest req;
  req.set_run_id(run_id);
  req.set_backup_run_id(backup_run_id);
  v1::ActionReply reply;
  grpc::Status s = stub_->RestoreBackup(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "backups restore"));
  return reply.detail();
}

absl::StatusOr<v1::PruneBackupsReply> AgentClient::PruneBackups(const std::string& run_id,
                                                                uint32_t keep) {
  RETURN_IF_ERROR(EnsureIdentity());
  grpc::ClientContext ctx;
  SetDeadline(&ctx, absl::Minutes(10));
  v1::PruneBackupsRequest req;
  req.set_run_id(run_id);
  req.set_keep(keep);
  v1::PruneBackupsReply reply;
  grpc::Status s = stub_->PruneBackups(&ctx, req, &reply);
  RETURN_IF_ERROR(Finish(ctx, s, "backups prune"));
  return reply;
}

absl::StatusOr<v1::Progress> AgentClient::RunStream(
    std::function<std::unique_ptr<grpc::ClientReader<v1::Progress>>(grpc::ClientContext*)> open,
    const ProgressFn& progress, absl::string_view what) {
  grpc::ClientContext ctx;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_)
      return absl::CancelledError(absl::StrCat(node_.name, ": ", what, ": cancelled"));
    streaming_ = &ctx;
  }
  auto reader = open(&ctx);
  v1::Progress last;
  v1::Progress p;
  while (reader->Read(&p)) {
    progress(p);
    last = p;
  }
  grpc::Status s = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    streaming_ = nullptr;
  }
  RETURN_IF_ERROR(Finish(ctx, s, what));
  return last;
}

absl::StatusOr<v1::Progress> AgentClient::Stream(const v1::BackupRequest& req,
                                                 const ProgressFn& progress) {
  RETURN_IF_ERROR(EnsureIdentity());
  return RunStream([&](grpc::ClientContext* ctx) { return stub_->BackupLocal(ctx, req); }, progress,
                   "backup");
}

absl::StatusOr<v1::Progress> AgentClient::Stream(const v1::ImportRequest& request,
                                                 const ProgressFn& progress) {
  RETURN_IF_ERROR(EnsureIdentity());
  return RunStream([&](grpc::ClientContext* ctx) { return stub_->ImportFromPeer(ctx, request); },
                   progress, "import");
}

void AgentClient::CancelStreams() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (streaming_ != nullptr) streaming_->TryCancel();
}

}  // namespace mmresync::coordinator
