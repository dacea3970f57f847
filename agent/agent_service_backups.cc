// The backup RPCs of AgentService: list (read-only), restore (destructive: fenced node,
// not the VIP holder, the pair's lease, one operation at a time) and prune. Each takes
// run ids only; the files and schemas are found here.

#include "absl/strings/str_cat.h"
#include "agent/agent_service.h"
#include "agent/backup_store.h"
#include "agent/safety_guard.h"
#include "common/instance_metadata.h"
#include "common/log.h"
#include "common/validate.h"

namespace mmresync::agent {

grpc::Status AgentService::ListBackups(grpc::ServerContext* context, const v1::ListBackupsRequest*,
                                       v1::ListBackupsReply* reply) {
  if (absl::Status s = Authorize(context, nullptr); !s.ok()) return Fail("backups list", s);
  auto session = deps_.db->Open();
  auto list = agent::ListBackups(deps_.config.state_dir, session.ok() ? session->get() : nullptr);
  if (!list.ok()) return Fail("backups list", list.status());
  for (v1::BackupInfo& b : *list) *reply->add_backups() = std::move(b);
  return grpc::Status::OK;
}

grpc::Status AgentService::RestoreBackup(grpc::ServerContext* context,
                                         const v1::RestoreBackupRequest* r,
                                         v1::ActionReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok()) s = ValidateRunId(r->backup_run_id());
  if (s.ok()) {
    auto session = deps_.db->Open();
    s = session.ok()
            ? CheckDestructive(**session,
                               absl::StrCat("to restore the backup of run ", r->backup_run_id()),
                               r->run_id(), InstanceIdOf(*context))
            : session.status();
  }
  if (!s.ok()) return Fail("backups restore", s);
  auto slot = slot_.TryAcquire(OperationSlot::Kind::kImport, r->run_id());
  if (!slot.ok()) return Fail("backups restore", slot.status());
  s = agent::RestoreBackup(deps_.config.state_dir, deps_.config.mariadb.client_command,
                           deps_.connect, r->backup_run_id());
  if (!s.ok()) return Fail("backups restore", s);
  reply->set_detail(absl::StrCat("restored the backup of run ", r->backup_run_id(),
                                 " (sql_log_bin=0: nothing replicated)"));
  log::Info(reply->detail());
  return grpc::Status::OK;
}

grpc::Status AgentService::PruneBackups(grpc::ServerContext* context,
                                        const v1::PruneBackupsRequest* r,
                                        v1::PruneBackupsReply* reply) {
  absl::Status s = Authorize(context, &r->run_id());
  if (s.ok() && r->keep() > 1000) s = absl::InvalidArgumentError("invalid keep: must be 0-1000");
  if (!s.ok()) return Fail("backups prune", s);
  auto slot = slot_.TryAcquire(OperationSlot::Kind::kBackup, r->run_id());
  if (!slot.ok()) return Fail("backups prune", slot.status());
  auto session = deps_.db->Open();
  if (!session.ok()) return Fail("backups prune", session.status());
  auto removed = agent::PruneBackups(deps_.config.state_dir, **session, r->keep());
  if (!removed.ok()) return Fail("backups prune", removed.status());
  for (std::string& run : *removed) {
    log::Info("pruned the backup of run ", run);
    reply->add_removed(std::move(run));
  }
  return grpc::Status::OK;
}

}  // namespace mmresync::agent
