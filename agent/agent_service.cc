#include "agent/agent_service.h"

#include <sys/stat.h>
#include "absl/strings/string_view.h"

#include <thread>
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "agent/backup_store.h"
#include "agent/compressing_sender.h"
#include "agent/grant_check.h"
#include "agent/keepalived_report.h"
#include "agent/local_backup.h"
#include "agent/logical_import.h"
#include "agent/mariadb_session.h"
#include "agent/node_facts.h"
#include "agent/node_markers.h"
#include "agent/parked_backup.h"
#include "agent/peer_address.h"
#include "agent/peer_fetch.h"
#include "agent/peer_pin.h"
#include "agent/physical_import.h"
#include "agent/physical_source.h"
#include "agent/physical_swap.h"
#include "agent/replication_control.h"
#include "agent/row_digest.h"
#include "agent/safety_guard.h"
#include "agent/source_dump.h"
#include "agent/stall_guard.h"
#include "agent/stream_canceller.h"
#include "agent/swap_record_status.h"
#include "agent/table_checksums.h"
#include "agent/target_import.h"
#include "agent/transfer_source.h"
#include "common/compression.h"
#include "common/escape.h"
#include "common/files.h"
#include "common/grpc_status.h"
#include "common/instance_metadata.h"
#include "common/log.h"
#include "common/part_checksum.h"
#include "common/random_id.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "common/validate.h"
#include "common/version.h"

namespace mmresync::agent {
namespace {

constexpr absl::Duration kTokenTtl = absl::Minutes(10);
// How soon a fenced node's read_only is set ON again after its mariadbd came back OFF.
constexpr absl::Duration kFenceCheckInterval = absl::Milliseconds(250);

}  // namespace

AgentService::AgentService(AgentDeps deps)
    : deps_(std::move(deps)),
      tokens_(absl::Now, [this](const std::string& run_id) { return leases_.HeldByRun(run_id); }),
      fence_(
          deps_.config.state_dir, deps_.db.get(),
          [this](const std::string& run_id) { return leases_.HeldByRun(run_id); },
          kFenceCheckInterval),
      transfers_([this](const std::string& run_id) { return leases_.HeldByRun(run_id); },
                 TransferRegistry::Limits{absl::Seconds(deps_.config.transfer_stall_seconds),
                                          absl::Seconds(deps_.config.transfer_stall_seconds),
                                          absl::Seconds(1)}) {
  if (deps_.mariadb_service == nullptr) {
    deps_.mariadb_service = std::make_unique<NoMariadbService>();
  }
}

grpc::Status AgentService::Fail(absl::string_view rpc, const absl::Status& status) {
  // The node's name leads every message so the operator knows where it happened.
  // Components that already name what failed ("keepalived stop: ...") are not prefixed
  // with the same words again.
  absl::Status annotated = absl::StartsWith(status.message(), absl::StrCat(rpc, ":"))
                               ? Annotate(status, deps_.config.name)
                               : Annotate(status, absl::StrCat(deps_.config.name, ": ", rpc));
  log::Warning(annotated.message());
  return ToGrpc(annotated);
}

absl::Status AgentService::Authorize(grpc::ServerContext* context, const std::string* run_id) {
  ASSIGN_OR_RETURN(PeerRole role, PeerRoleOf(*context));
  if (role.kind != PeerRole::Kind::kCoordinator) {
    return absl::PermissionDeniedError(
        absl::StrCat("control RPCs accept only the coordinator role, not agent ", role.node));
  }
  // The coordinator names the node it means on every call (instance_metadata.h): a call
  // that reached this agent through a reconnect to the wrong address does nothing here.
  // Callers that name none (direct test clients) are only held to the role and the lease.
  if (const std::string meant = ExpectedNodeOf(*context);
      !meant.empty() && meant != deps_.config.name) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this agent is node ", deps_.config.name, ", but the call was meant for node ",
        EscapeUntrusted(meant),
        "; nothing was done (does the caller's cluster.toml point that node at this agent?)"));
  }
  if (run_id != nullptr) {
    RETURN_IF_ERROR(ValidateRunId(*run_id));
    RETURN_IF_ERROR(leases_.Check(*run_id, InstanceIdOf(*context)));
  }
  return absl::OkStatus();
}

absl::Status AgentService::CheckDestructive(DbSession& session, absl::string_view action,
                                            const std::string& run_id,
                                            const std::string& instance_id) {
  SafetyInputs in;
  in.vip = deps_.config.keepalived.vip;
  in.addresses = deps_.addresses.get();
  in.keepalived = deps_.keepalived.get();
  in.session = &session;
  in.lease = [this, run_id, instance_id] { return leases_.Check(run_id, instance_id); };
  return CheckDestructiveAllowed(in, action);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> AgentService::PeerCredentials() const {
  auto creds = deps_.peer_credentials();
  if (!creds.ok()) return Annotate(creds.status(), "TLS files for the peer agent ([tls])");
  return creds;
}

AccountFilter AgentService::Accounts() const {
  return AccountFilter{deps_.config.mariadb.user, deps_.config.mariadb.repl_user};
}

grpc::Status AgentService::GetStatus(grpc::ServerContext* context, const v1::StatusRequest* request,
                                     v1::NodeStatus* reply) {
  if (absl::Status s = Authorize(context, nullptr); !s.ok()) return Fail("status", s);
  reply->set_node(deps_.config.name);
  reply->set_agent_version(VersionText());
  absl::StatusOr<std::unique_ptr<DbSession>> session =
      absl::FailedPreconditionError("not asked (brief status)");
  // Full: everything `status` and the pre-flight show. Replication only: no table
  // metadata, service or disk checks (what the replication waits poll).
  const bool full = !request->brief() && !request->replication_only();
  if (!request->brief()) {
    session = deps_.db->Open();
    absl::Status db = !session.ok() ? session.status()
                      : full        ? CollectDatabaseFacts(**session, reply)
                                    : CollectReplicationFacts(**session, reply);
    if (!db.ok()) reply->set_db_error(std::string(db.message()));
    if (db.ok() && full) {
      CollectPrivilegeFacts(**session, deps_.config.mariadb.repl_user, reply->version(), reply);
    }
  }

  const std::string& vip = deps_.config.keepalived.vip;
  reply->set_vip(vip);
  reply->set_vip_configured(!vip.empty());
  if (!vip.empty()) {
    auto local = VipIsLocal(vip, *deps_.addresses);
    reply->set_vip_local(local.ok() && *local);
  }
  v1::KeepalivedState* ka = reply->mutable_keepalived();
  ka->set_control(deps_.keepalived->kind());
  auto ks = deps_.keepalived->Status();
  if (ks.ok()) {
    ka->set_managed(ks->managed);
    ka->set_running(ks->running);
    ka->set_detail(ks->detail);
  } else {
    ka->set_managed(true);
    ka->set_detail(absl::StrCat("status unknown: ", ks.status().message()));
  }
  if (full) ReportMariadbService(*deps_.mariadb_service, reply->mutable_mariadb_service());
  if (full) ReportSwapRecord(deps_.config.state_dir, reply);
  if (session.ok() && full) {
    if (auto encryption = EncryptionInUse(**session); encryption.ok()) {
      for (auto& e : *encryption) reply->add_encryption(std::move(e));
    }
  }
  RealConfigFiles files;
  DescribeKeepalivedFiles(deps_.config.keepalived, files, ShortHostName(), ka);
  if (auto free = FreeBytes(deps_.config.state_dir); free.ok() && full) {
    reply->set_state_dir_free_bytes(*free);
  }
  if (session.ok() && full) {
    auto datadir = (*session)->Query("SELECT @@datadir");
    if (datadir.ok() && !datadir->empty() && datadir->rows[0][0].has_value()) {
      if (auto free = FreeBytes(*datadir->rows[0][0]); free.ok()) {
        reply->set_datadir_free_bytes(*free);
      }
    }
  }
  LeaseInfo lease = leases_.Current();
  reply->set_lease_holder(lease.run_id);
  if (!lease.run_id.empty()) {
    *reply->mutable_lease_instance() = lease.instance;
    reply->set_lease_expires_in_ms(
        static_cast<uint64_t>(absl::ToInt64Milliseconds(lease.expires - absl::Now())));
  }
  return grpc::Status::OK;
}

namespace {

absl::Status ValidateLease(const v1::LeaseRequest& r) {
  RETURN_IF_ERROR(ValidateRunId(r.run_id()));
  if (r.ttl_seconds() < 5 || r.ttl_seconds() > 600) {
    return absl::InvalidArgumentError("invalid ttl_seconds: must be 5-600");
  }
  if (r.holder().size() > 200) return absl::InvalidArgumentError("invalid holder: too long");
  RETURN_IF_ERROR(ValidateInstance(r.instance()));
  if (!r.take_over_from().empty()) {
    RETURN_IF_ERROR(ValidateInstanceId("take_over_from", r.take_over_from()));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::Status AgentService::AcquireLease(grpc::ServerContext* context, const v1::LeaseRequest* r,
                                        v1::LeaseReply* reply) {
  absl::Status s = Authorize(context, nullptr);
  if (s.ok()) s = ValidateLease(*r);
  if (!s.ok()) return Fail("lease", s);
  const LeaseInfo before = leases_.Current();
  auto lease = leases_.Acquire(r->run_id(), r->holder(), r->instance(),
                               absl::Seconds(r->ttl_seconds()), r->take_over_from());
  if (!lease.ok()) return Fail("lease", lease.status());
  if (!before.run_id.empty() && before.instance.id() != r->instance().id()) {
    log::Warning("lease of run ", r->run_id(), " taken over from ",
                 DescribeInstance(before.instance), " (proved gone by the new holder)");
  }
  log::Info("lease taken by run ", r->run_id(), " (", DescribeInstance(r->instance()), ")");
  reply->set_run_id(lease->run_id);
  reply->set_expires_in_ms(r->ttl_seconds() * 1000ull);
  return grpc::Status::OK;
}

grpc::Status AgentService::RenewLease(grpc::ServerContext* context, const v1::LeaseRequest* r,
                                      v1::LeaseReply* reply) {
  absl::Status s = Authorize(context, nullptr);
  if (s.ok()) s = ValidateLease(*r);
  if (!s.ok()) return Fail("lease", s);
  auto lease = leases_.Renew(r->run_id(), r->instance().id(), absl::Seconds(r->ttl_seconds()));
  if (!lease.ok()) return Fail("lease", lease.status());
  reply->set_run_id(lease->run_id);
  reply->set_expires_in_ms(r->ttl_seconds() * 1000ull);
  return grpc::Status::OK;
}

grpc::Status AgentService::ReleaseLease(grpc::ServerContext* context, const v1::LeaseRequest* r,
                                        v1::LeaseReply* reply) {
  absl::Status s = Authorize(context, nullptr);
  if (s.ok()) s = ValidateRunId(r->run_id());
  if (!s.ok()) return Fail("lease", s);
  if (leases_.Release(r->run_id(), r->instance().id()).ok()) tokens_.DropRun(r->run_id());
  log::Info("lease released by run ", r->run_id());
  reply->set_run_id(r->run_id());
  return grpc::Status::OK;
}

grpc::Status AgentService::SetReadOnly(grpc::ServerContext* context,
                                       const v1::SetReadOnlyRequest* r, v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok() && !r->read_only()) s = slot_.CheckNoImport("read_only OFF");
  if (s.ok()) s = fence_.Apply(r->read_only(), r->run_id());
  if (!s.ok()) return Fail("set read_only", s);
  reply->set_detail(absl::StrCat("read_only = ", r->read_only() ? "ON" : "OFF"));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

grpc::Status AgentService::ControlKeepalived(grpc::ServerContext* context,
                                             const v1::KeepalivedRequest* r,
                                             v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok() && r->action() != v1::KeepalivedRequest::START &&
      r->action() != v1::KeepalivedRequest::STOP) {
    s = absl::InvalidArgumentError("invalid action: must be START or STOP");
  }
  bool start = r->action() == v1::KeepalivedRequest::START;
  if (s.ok() && start) s = slot_.CheckNoImport("keepalived start");
  // The fence as `mmresync-agent check` sees it: set before keepalived stops, cleared
  // before it starts (its vrrp_script must pass from its first run on).
  if (s.ok()) {
    s = start ? ClearMarker(deps_.config.state_dir, NodeMarker::kFenced)
              : SetMarker(deps_.config.state_dir, NodeMarker::kFenced, r->run_id());
  }
  if (s.ok()) s = start ? deps_.keepalived->Start() : deps_.keepalived->Stop();
  if (!s.ok()) return Fail(start ? "keepalived start" : "keepalived stop", s);
  reply->set_detail(absl::StrCat("keepalived ", start ? "started" : "stopped", " (",
                                 deps_.keepalived->kind(), ")"));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

grpc::Status AgentService::StopReplica(grpc::ServerContext* context,
                                       const v1::StopReplicaRequest* r, v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok()) {
    auto session = deps_.db->Open();
    if (!session.ok()) {
      s = session.status();
    } else {
      if (r->reset()) {
        s = CheckDestructive(**session, "RESET SLAVE", r->run_id(), InstanceIdOf(*context));
      }
      // Before the stop: `check` must never see the run's own stop as broken replication
      // (on the VIP holder that would hand the VIP away for the rest of the run).
      if (s.ok())
        s = SetMarker(deps_.config.state_dir, NodeMarker::kReplicationStopped, r->run_id());
      if (s.ok()) s = agent::StopReplica(**session, r->reset());
    }
  }
  if (!s.ok()) return Fail("stop replica", s);
  reply->set_detail(JoinStatements(StopReplicaStatements(r->reset())));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

grpc::Status AgentService::ChangeMaster(grpc::ServerContext* context,
                                        const v1::ChangeMasterRequest* r, v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  ChangeMasterTarget target = ChangeMasterTargetOf(*r, deps_.config.mariadb.repl_user);
  if (s.ok()) s = ValidateChangeMaster(target);
  if (s.ok()) s = CheckMasterIsPeer(deps_.config.peer, target.host, target.port);
  if (s.ok()) {
    auto password = ReadSecretFile(deps_.config.mariadb.repl_password_file);
    auto session = deps_.db->Open();
    if (!password.ok()) {
      s = password.status();
    } else if (!session.ok()) {
      s = session.status();
    } else {
      target.password = *password;
      if (r->gtid_not_behind_own_binlog()) {
        absl::StatusOr<std::string> set = ChangeMasterNotBehindOwnBinlog(**session, target);
        if (set.ok()) target.gtid_slave_pos = *set;
        s = set.status();
      } else {
        s = agent::ChangeMaster(**session, target);
      }
    }
  }
  if (!s.ok()) return Fail("change master", s);
  // Phase 1 of a run whose physical import settled here: the record is needed no more.
  if (absl::Status forgot = ForgetSettledSwap(deps_.config.state_dir, r->run_id()); !forgot.ok()) {
    log::Warning("the physical swap record stays: ", forgot.message());
  }
  if (UsesGtid(target)) reply->set_gtid_slave_pos(target.gtid_slave_pos);
  reply->set_detail(DescribeChangeMaster(target));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

grpc::Status AgentService::StartReplica(grpc::ServerContext* context,
                                        const v1::StartReplicaRequest* r, v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok()) {
    auto session = deps_.db->Open();
    if (session.ok()) s = CheckConfiguredMasterIsPeer(**session, deps_.config.peer);
    if (s.ok()) s = session.ok() ? agent::StartReplica(**session) : session.status();
  }
  if (!s.ok()) return Fail("start replica", s);
  if (absl::Status cleared = ClearMarker(deps_.config.state_dir, NodeMarker::kReplicationStopped);
      !cleared.ok()) {
    // Only `check` reads it, and it still fails on a thread stopped with an error.
    log::Warning("replication started, but its marker stays: ", cleared.message());
  }
  reply->set_detail(std::string(kStartReplicaStatement));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

std::string AgentService::ApplyRetention() {
  const uint32_t keep = deps_.config.backups_keep;
  auto session = deps_.db->Open();
  absl::StatusOr<std::vector<std::string>> removed =
      session.ok() ? agent::PruneBackups(deps_.config.state_dir, **session, keep)
                   : session.status();
  // The new backup is written and kept whatever happens here: a failed prune is said, not
  // turned into a failed backup.
  if (!removed.ok()) {
    std::string why = absl::StrCat("WARNING: pruning older backups (agent.backups_keep = ", keep,
                                   ") failed: ", removed.status().message());
    log::Warning(why);
    return why;
  }
  if (removed->empty()) return "";
  std::string what =
      absl::StrCat("pruned ", removed->size(), " older backup(s) (agent.backups_keep = ", keep,
                   "): ", absl::StrJoin(*removed, ", "));
  log::Info(what);
  return what;
}

grpc::Status AgentService::BackupLocal(grpc::ServerContext* context, const v1::BackupRequest* r,
                                       grpc::ServerWriter<v1::Progress>* writer) {
  absl::Status s = Authorize(context, &r->run_id());
  // A full dump onto the master's disk (which usually holds its datadir) is the load
  // the master must never get from a recovery.
  if (s.ok()) s = CheckVipNotLocal(deps_.config.keepalived.vip, *deps_.addresses, "a backup");
  const std::string mode = r->mode().empty() ? "park" : r->mode();
  if (s.ok() && mode != "park" && mode != "dump") {
    s = absl::InvalidArgumentError("invalid mode: must be park or dump");
  }
  if (s.ok() && mode == "park") {
    // Parking moves the user tables out of the live schemas: only on a fenced node.
    auto session = deps_.db->Open();
    s = session.ok() ? CheckDestructive(**session, "to park the user tables", r->run_id(),
                                        InstanceIdOf(*context))
                     : session.status();
  }
  if (!s.ok()) return Fail("backup", s);
  auto slot = slot_.TryAcquire(OperationSlot::Kind::kBackup, r->run_id());
  if (!slot.ok()) return Fail("backup", slot.status());
  BackupParams params;
  params.db = deps_.db.get();
  params.connect = deps_.connect;
  params.state_dir = deps_.config.state_dir;
  params.dump_command = deps_.config.mariadb.dump_command;
  params.accounts = Accounts();
  params.run_id = r->run_id();
  params.progress = [writer](const v1::Progress& p) { writer->Write(p); };
  params.cancelled = [context] { return context->IsCancelled(); };
  auto backup = mode == "park" ? ParkUserData(params) : BackupUserData(params);
  if (!backup.ok()) return Fail("backup", backup.status());
  log::Info("backup written: ", backup->path(), " (", backup->bytes(), " bytes)");
  v1::Progress last;
  if (deps_.config.backups_keep > 0) last.set_message(ApplyRetention());
  last.set_phase("backup");
  last.set_bytes_done(backup->bytes());
  last.set_bytes_total(backup->bytes());
  *last.mutable_backup() = *backup;
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status AgentService::AuthorizeTransfer(grpc::ServerContext* context,
                                             const v1::AuthorizeTransferRequest* r,
                                             v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok()) s = ValidateToken(r->token());
  if (s.ok()) s = ValidateNodeName("peer_node", r->peer_node());
  if (s.ok() && r->peer_node() == deps_.config.name) {
    s = absl::InvalidArgumentError("invalid peer_node: a node cannot re-seed itself");
  }
  if (s.ok()) s = CheckPeerNode(deps_.config.peer, "peer_node", r->peer_node());
  if (!s.ok()) return Fail("authorize transfer", s);
  tokens_.Authorize(r->token(), r->peer_node(), r->run_id(), kTokenTtl);
  reply->set_detail(absl::StrCat("transfer to agent ", r->peer_node(), " authorised"));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

grpc::Status AgentService::ImportFromPeer(grpc::ServerContext* context, const v1::ImportRequest* r,
                                          grpc::ServerWriter<v1::Progress>* writer) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok()) s = ValidateHostPort("source_agent", r->source_agent());
  if (s.ok()) s = ValidateNodeName("source_node", r->source_node());
  if (s.ok()) s = ValidateToken(r->token());
  if (s.ok() && r->source_node() == deps_.config.name) {
    s = absl::InvalidArgumentError("invalid source_node: a node cannot re-seed itself");
  }
  if (s.ok()) s = CheckPeerNode(deps_.config.peer, "source_node", r->source_node());
  absl::StatusOr<int> compression = ParseCompression(r->compression());
  if (s.ok()) s = compression.status();
  if (!s.ok()) return Fail("import", s);
  auto slot = slot_.TryAcquire(OperationSlot::Kind::kImport, r->run_id());
  if (!slot.ok()) return Fail("import", slot.status());

  // The agent's own checks, whatever the coordinator believes; again on the dropping
  // session right before the drop (fence_check below).
  const std::string instance_id = InstanceIdOf(*context);
  auto session = deps_.db->Open();
  if (!session.ok()) return Fail("import", session.status());
  s = CheckDestructive(**session, "to drop and import user data", r->run_id(), instance_id);
  const bool physical = r->method() == "physical";
  // Physical: the old datadir, renamed aside at the swap, is the backup. Delta: it saves
  // what it replaces or drops itself, as it goes (delta_backup).
  const bool delta = r->method() == "delta";
  if (s.ok() && !r->backup_skipped() && !physical && !delta) {
    std::string backup = BackupPath(deps_.config.state_dir, r->run_id());
    struct stat st;
    if (::stat(backup.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      s = absl::FailedPreconditionError(absl::StrCat(
          "refusing to drop user data: no backup for run ", r->run_id(), " at ", backup));
    }
  }
  // From here the user data may be replaced: `mmresync-agent check` keeps keepalived off
  // this node until an import finishes (a failed one leaves the marker).
  if (s.ok()) s = SetMarker(deps_.config.state_dir, NodeMarker::kImportIncomplete, r->run_id());
  if (!s.ok()) return Fail("import", s);

  TargetImportParams params;
  params.db = deps_.db.get();
  params.connect = deps_.connect;
  params.state_dir = deps_.config.state_dir;
  params.client_command = deps_.config.mariadb.client_command;
  params.expected_bytes = r->expected_bytes();
  params.fence_check = [this, run_id = r->run_id(), instance_id](DbSession& db) {
    return CheckDestructive(db, "to drop and import user data", run_id, instance_id);
  };
  // The dump method's single stream is never compressed.
  const std::string compression_text =
      r->method() == "dump" ? "none" : DescribeCompression(*compression);
  params.progress = [writer, compression_text](v1::Progress p) {
    p.set_compression(compression_text);
    writer->Write(p);
  };
  params.cancelled = [context] { return context->IsCancelled(); };
  const std::string method = r->method().empty() ? "auto" : r->method();
  log::Info("import from agent ", r->source_node(), " at ", r->source_agent(), " started (method ",
            method, ")");
  absl::StatusOr<v1::ImportResult> result;
  if (method == "dump") {
    result = ImportDump(*r, params);
  } else if (physical) {
    result = ImportPhysicalFromPeer(*r, params);
  } else if (delta) {
    result = ImportDeltaFromPeer(*r, params, *compression);
  } else {
    auto creds = PeerCredentials();
    if (!creds.ok()) return Fail("import", creds.status());
    GrpcTransferPeer peer(*creds, r->source_agent(), r->source_node(), r->token(), r->run_id());
    peer.set_compression(*compression);
    uint32_t workers = r->workers();
    if (workers == 0) workers = std::clamp<uint32_t>(std::thread::hardware_concurrency(), 2, 8);
    auto manifest = peer.Begin(workers);
    if (!manifest.ok() && absl::IsUnimplemented(manifest.status()) && method == "auto") {
      // Nothing was dropped: the source said why the logical method cannot copy it.
      std::string why(manifest.status().message());
      log::Warning("falling back to the dump method: ", why);
      v1::Progress note;
      note.set_phase("stream");
      note.set_method("dump");
      note.set_message(absl::StrCat("method dump (", why, ")"));
      writer->Write(note);
      result = ImportDump(*r, params);
      if (result.ok()) result->set_fallback_reason(why);
    } else if (!manifest.ok()) {
      result =
          Annotate(manifest.status(), "transfer session could not begin (nothing was dropped)");
    } else {
      DbConnectParams loader_connect = deps_.connect;
      loader_connect.local_infile = true;
      MariadbSessionFactory loaders(loader_connect);
      LogicalImportParams lp;
      lp.base = params;
      lp.loaders = &loaders;
      result = ImportLogical(lp, peer, *manifest);
      if (!result.ok()) peer.Abandon();
    }
  }
  if (!result.ok()) return Fail("import", result.status());
  if (absl::Status cleared = ClearMarker(deps_.config.state_dir, NodeMarker::kImportIncomplete);
      !cleared.ok()) {
    return Fail("import", cleared);
  }
  result->set_compression(result->method() == "dump" ? "none" : compression_text);
  if (result->wire_bytes() == 0) result->set_wire_bytes(result->bytes());
  log::Info("import finished: ", result->bytes(), " bytes (", result->wire_bytes(),
            " over the link, compression ", result->compression(), "), snapshot ",
            result->source_snapshot().file(), ":", result->source_snapshot().position());
  v1::Progress last;
  last.set_phase("finalize");
  last.set_bytes_done(result->bytes());
  last.set_bytes_total(result->bytes());
  *last.mutable_result() = *result;
  writer->Write(last);
  return grpc::Status::OK;
}

absl::StatusOr<v1::ImportResult> AgentService::ImportDump(const v1::ImportRequest& r,
                                                          const TargetImportParams& params) {
  ASSIGN_OR_RETURN(auto creds, PeerCredentials());
  ASSIGN_OR_RETURN(
      std::unique_ptr<PeerDumpStream> stream,
      PeerDumpStream::Open(creds, r.source_agent(), r.source_node(), r.token(), r.run_id()));
  StreamCanceller canceller(params.cancelled);
  StreamCanceller::Registration cancellable(canceller, stream.get());
  ASSIGN_OR_RETURN(v1::ImportResult result, ImportFromStream(params, *stream));
  result.set_method("dump");
  return result;
}

absl::StatusOr<v1::ImportResult> AgentService::ImportPhysicalFromPeer(
    const v1::ImportRequest& r, const TargetImportParams& params) {
  PhysicalImportParams pp;
  pp.base = params;
  pp.service = deps_.mariadb_service.get();
  // The same check as every import: the fence and this run's lease, for this process.
  pp.check_fence = params.fence_check;
  pp.run_id = r.run_id();
  pp.agent_user = deps_.config.mariadb.user;
  pp.repl_user = deps_.config.mariadb.repl_user;
  // Refused before the source runs anything.
  if (pp.service->kind() == "none") {
    return absl::FailedPreconditionError(
        "the physical method needs [mariadb.service] control on this node (it is none)");
  }
  // This run's swap already happened and was finished (by the import, or by this agent
  // at its start after it died past the swap): the copy runs; nothing is copied again.
  ASSIGN_OR_RETURN(std::optional<v1::ImportResult> settled,
                   SettledSwapResult(deps_.config.state_dir, r.run_id()));
  if (settled.has_value()) {
    log::Info("run ", r.run_id(),
              "'s datadir swap was already finished: mariadbd runs on its copy");
    return *settled;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, deps_.db->Open());
  ASSIGN_OR_RETURN(std::string account, CurrentAccount(*session));
  session.reset();
  ASSIGN_OR_RETURN(auto creds, PeerCredentials());
  GrpcTransferPeer peer(creds, r.source_agent(), r.source_node(), r.token(), r.run_id());
  ASSIGN_OR_RETURN(int compression, ParseCompression(r.compression()));
  peer.set_compression(compression);
  uint32_t parallel = r.workers();
  if (parallel == 0) parallel = std::clamp<uint32_t>(std::thread::hardware_concurrency(), 2, 8);
  auto manifest = peer.BeginPhysical(parallel, account);
  if (!manifest.ok()) {
    return Annotate(manifest.status(), "transfer session could not begin (nothing was changed)");
  }
  auto result = ImportPhysical(pp, peer, *manifest);
  if (!result.ok()) peer.Abandon();
  return result;
}

absl::StatusOr<std::string> AgentService::AgentPeer(grpc::ServerContext* context) {
  ASSIGN_OR_RETURN(PeerRole role, PeerRoleOf(*context));
  // The peer's role, not any agent's: a certificate for another node (this one's own
  // included) gets nothing from the stream, whatever token or session id it brings.
  if (role.kind != PeerRole::Kind::kAgent || role.node != deps_.config.peer.name) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the data stream accepts only the peer agent (", deps_.config.peer.name, "), not ",
        role.kind == PeerRole::Kind::kAgent ? "agent " + EscapeUntrusted(role.node)
                                            : std::string("the coordinator")));
  }
  return role.node;
}

grpc::Status AgentService::BeginTransfer(grpc::ServerContext* context,
                                         const v1::BeginTransferRequest* r,
                                         v1::BeginTransferReply* reply) {
  auto peer = AgentPeer(context);
  absl::Status s = peer.status();
  if (s.ok()) s = ValidateToken(r->token());
  if (s.ok()) s = ValidateRunId(r->run_id());
  if (s.ok() && (r->workers() < 1 || r->workers() > 32)) {
    s = absl::InvalidArgumentError("invalid workers: must be 1-32");
  }
  if (s.ok()) s = tokens_.Consume(r->token(), *peer, r->run_id());
  if (!s.ok()) return Fail("begin transfer", s);

  auto id = RandomHex(16);
  if (!id.ok()) return Fail("begin transfer", id.status());
  // What the target asked for if this agent knows it, else SHA-256 (every agent's).
  const v1::PartChecksum checksum = r->part_checksum() == v1::PART_CHECKSUM_XXH3_128
                                        ? v1::PART_CHECKSUM_XXH3_128
                                        : v1::PART_CHECKSUM_SHA256;
  if (r->method() == "physical") {
    PhysicalSourceParams pp;
    pp.db = deps_.db.get();
    pp.connect = deps_.connect;
    pp.state_dir = deps_.config.state_dir;
    pp.parallel = r->workers();
    pp.agent_account = r->agent_account();
    pp.part_checksum = checksum;
    auto physical = PhysicalSourceTransfer::Begin(pp, *id);
    if (!physical.ok()) return Fail("begin transfer", physical.status());
    *reply = (*physical)->manifest();
    log::Info("physical transfer session ", *id, " for agent ", *peer, ": ~",
              reply->datadir_bytes(), " bytes, mariadb-backup --parallel=", reply->workers(),
              ", parts checked with ", PartChecksum::Name(reply->part_checksum()));
    transfers_.Add(std::shared_ptr<TransferSession>(std::move(*physical)), *peer, r->run_id());
    return grpc::Status::OK;
  }
  if (!r->method().empty() && r->method() != "logical" && r->method() != "delta") {
    return Fail("begin transfer", absl::InvalidArgumentError("invalid method"));
  }
  TransferSourceParams params;
  params.db = deps_.db.get();
  params.connect = deps_.connect;
  params.state_dir = deps_.config.state_dir;
  params.dump_command = deps_.config.mariadb.dump_command;
  params.accounts = Accounts();
  params.delta = r->method() == "delta";
  params.row_encoding = AgreedRowEncoding(r->row_encoding());
  params.part_checksum = checksum;
  // No more snapshot connections than this host can keep busy.
  params.workers = std::min<uint32_t>(
      r->workers(), std::max<uint32_t>(2, 2 * std::thread::hardware_concurrency()));
  auto session = SourceTransfer::Begin(params, *id);
  if (!session.ok()) {
    if (absl::IsUnimplemented(session.status())) {
      // The token stays good for the dump method the target falls back to.
      tokens_.Authorize(r->token(), *peer, r->run_id(), kTokenTtl);
    }
    return Fail("begin transfer", session.status());
  }
  *reply = (*session)->manifest();
  log::Info("transfer session ", *id, " for agent ", *peer, ": ", reply->parts_size(), " parts, ",
            reply->workers(), " snapshot connections, commits blocked ", reply->commit_block_ms(),
            " ms, snapshot ", reply->snapshot().file(), ":", reply->snapshot().position(),
            ", parts checked with ", PartChecksum::Name(reply->part_checksum()),
            params.delta ? (params.row_encoding == v1::ROW_ENCODING_COMPACT
                                ? ", rows digested in the compact encoding"
                                : ", rows digested in the fixed-length encoding")
                         : "");
  transfers_.Add(std::shared_ptr<SourceTransfer>(std::move(*session)), *peer, r->run_id());
  return grpc::Status::OK;
}

// Parts at least this big get a line in the source's log (with what compression did).
constexpr uint64_t kLoggedPartBytes = 4 << 20;

grpc::Status AgentService::FetchPart(grpc::ServerContext* context, const v1::FetchPartRequest* r,
                                     grpc::ServerWriter<v1::DumpChunk>* writer) {
  auto peer = AgentPeer(context);
  absl::Status s = peer.status();
  if (s.ok()) s = ValidateSessionId(r->session_id());
  if (s.ok()) s = ValidateZstdLevel(r->zstd_level());
  if (!s.ok()) return Fail("fetch part", s);
  auto session = transfers_.Attach(r->session_id(), *peer, context);
  if (!session.ok()) return Fail("fetch part", session.status());
  AutoCompression& governor = (*session)->auto_compression();
  int level = r->zstd_level();
  if (level == kCompressionAuto) {
    auto same_host = PeerIsThisHost(context->peer(), *deps_.addresses);
    if (same_host.ok() && *same_host) level = kCompressionNone;
  }
  CompressingSender send(level, &governor,
                         [writer](const v1::DumpChunk& c) { return writer->Write(c); });
  const std::function<bool(const v1::DumpChunk&)> sender = [&send](const v1::DumpChunk& c) {
    return send(c);
  };
  s = r->ranges_size() > 0 ? ServeRanges(context, *r, *session, sender)
                           : (*session)->ServePart(r->part_id(), sender,
                                                   [context] { return context->IsCancelled(); });
  transfers_.Detach(r->session_id(), context);
  if (!s.ok() && !send.status().ok()) s = send.status();
  if (!s.ok()) return Fail("fetch part", s);
  if (send.raw_bytes() >= kLoggedPartBytes) {
    log::Info("transfer session ", r->session_id(), " part ", r->part_id(),
              " sent: ", send.raw_bytes(), " bytes, ", send.wire_bytes(),
              " over the link; compression ",
              r->zstd_level() != kCompressionAuto ? DescribeCompression(level)
              : level == kCompressionNone ? std::string("auto: off (the target is on this host)")
                                          : "auto: " + governor.Describe());
  }
  return grpc::Status::OK;
}

grpc::Status AgentService::EndTransfer(grpc::ServerContext* context,
                                       const v1::EndTransferRequest* r, v1::ActionReply* reply) {
  auto peer = AgentPeer(context);
  absl::Status s = peer.status();
  if (s.ok()) s = ValidateSessionId(r->session_id());
  if (s.ok()) s = transfers_.End(r->session_id(), *peer);
  if (!s.ok()) return Fail("end transfer", s);
  reply->set_detail("transfer session ended");
  log::Info("transfer session ", r->session_id(), " ended by agent ", *peer);
  return grpc::Status::OK;
}

grpc::Status AgentService::FetchDump(grpc::ServerContext* context, const v1::FetchDumpRequest* r,
                                     grpc::ServerWriter<v1::DumpChunk>* writer) {
  auto peer = AgentPeer(context);
  absl::Status s = peer.status();
  if (s.ok()) s = ValidateToken(r->token());
  if (s.ok()) s = ValidateRunId(r->run_id());
  if (!s.ok()) return Fail("fetch dump", s);
  // The slot before the token: a refused fetch leaves the one-time token usable.
  auto slot = slot_.TryAcquire(OperationSlot::Kind::kDump, r->run_id());
  if (!slot.ok()) return Fail("fetch dump", slot.status());
  s = tokens_.Consume(r->token(), *peer, r->run_id());
  if (!s.ok()) return Fail("fetch dump", s);

  log::Info("streaming dump to agent ", *peer);
  SourceDumpParams params;
  params.db = deps_.db.get();
  params.connect = deps_.connect;
  params.state_dir = deps_.config.state_dir;
  params.dump_command = deps_.config.mariadb.dump_command;
  params.accounts = Accounts();
  params.cancelled = [context] { return context->IsCancelled(); };
  // A target that stops reading must not keep the dump (and a global read lock it may
  // hold for non-InnoDB tables) on the source.
  StallGuard guard(context, absl::Seconds(deps_.config.transfer_stall_seconds),
                   [this, run_id = r->run_id()] { return leases_.HeldByRun(run_id); });
  s = StreamSourceDump(params, [writer, &guard](const v1::DumpChunk& c) {
    const bool sent = writer->Write(c);
    if (sent) guard.Progress();
    return sent;
  });
  if (!s.ok()) {
    const std::string why = guard.reason();
    if (!why.empty()) log::Warning("dump for agent ", *peer, " ended: ", why);
    return Fail("fetch dump", why.empty() ? s : Annotate(s, absl::StrCat("ended because ", why)));
  }
  log::Info("dump streamed to agent ", *peer);
  return grpc::Status::OK;
}

grpc::Status AgentService::TableChecksums(grpc::ServerContext* context, const v1::ChecksumRequest*,
                                          v1::ChecksumReply* reply) {
  absl::Status s = Authorize(context, nullptr);
  if (s.ok()) {
    auto session = deps_.db->Open();
    if (!session.ok()) {
      s = session.status();
    } else {
      auto sums = ComputeTableChecksums(**session);
      if (sums.ok()) *reply = std::move(*sums);
      s = sums.status();
    }
  }
  if (!s.ok()) return Fail("checksums", s);
  return grpc::Status::OK;
}

}  // namespace mmresync::agent
