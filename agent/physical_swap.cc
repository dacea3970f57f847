#include "agent/physical_swap.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/node_facts.h"
#include "agent/physical_import.h"
#include "agent/replication_control.h"
#include "agent/schema_reset.h"
#include "common/files.h"
#include "common/log.h"
#include "common/poll_backoff.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::StatusOr<std::unique_ptr<DbSession>> WaitConnectable(const SwapContext& context) {
  const absl::Time deadline = absl::Now() + context.start_wait;
  absl::Status last;
  PollBackoff backoff(absl::Milliseconds(200));
  while (absl::Now() < deadline) {
    auto session = context.db->Open();
    if (session.ok()) return session;
    last = session.status();
    if (context.cancelled()) return absl::CancelledError("import cancelled");
    absl::SleepFor(backoff.Next(deadline - absl::Now()));
  }
  return absl::DeadlineExceededError(absl::StrCat("mariadbd did not accept connections within ",
                                                  absl::FormatDuration(context.start_wait), ": ",
                                                  last.message()));
}

// The new server's first statements: read-only before anything else, then its events
// as a replica would have them, then the scheduler as it was.
absl::StatusOr<int> SettleNewServer(DbSession& session, const std::string& event_scheduler) {
  RETURN_IF_ERROR(SetReadOnly(session, true));
  (void)session.Execute("SET GLOBAL event_scheduler = OFF");  // DISABLED: nothing runs anyway
  ASSIGN_OR_RETURN(int disabled, DisableEventsOnReplica(session));
  if (event_scheduler == "ON") RETURN_IF_ERROR(session.Execute("SET GLOBAL event_scheduler = ON"));
  return disabled;
}

// The copy carries the source's accounts of these users; this node's are put back (the
// others dropped), except the one the agent is logged in as, which the import's
// pre-check found identical on both nodes.
absl::Status RestoreOwnAccounts(DbSession& session, const SwapContext& context,
                                const v1::PhysicalSwapRecord& record) {
  const std::string& current = record.current_account();
  RETURN_IF_ERROR(session.Execute("SET SESSION sql_log_bin = 0"));
  ASSIGN_OR_RETURN(ResultSet carried,
                   session.Query(absl::StrCat("SELECT User, Host FROM mysql.user WHERE User IN (",
                                              QuoteString(session, context.agent_user), ", ",
                                              QuoteString(session, context.repl_user), ")")));
  for (size_t i = 0; i < carried.rows.size(); ++i) {
    const std::string user = carried.GetOr(i, "User", "");
    const std::string host = carried.GetOr(i, "Host", "");
    if (absl::StrCat(user, "@", host) == current) continue;
    bool kept = false;
    for (const auto& a : record.own_accounts())
      kept = kept || (a.user() == user && a.host() == host);
    if (kept) continue;
    RETURN_IF_ERROR(session.Execute(
        absl::StrCat("DROP USER ", QuoteString(session, user), "@", QuoteString(session, host))));
  }
  const size_t at = current.rfind('@');
  const std::string self =
      absl::StrCat("CREATE OR REPLACE USER ", QuoteIdentifier(current.substr(0, at)), "@",
                   QuoteIdentifier(current.substr(at + 1)));
  const std::string self_quoted =
      absl::StrCat("CREATE OR REPLACE USER ", QuoteString(session, current.substr(0, at)), "@",
                   QuoteString(session, current.substr(at + 1)));
  for (const std::string& sql : record.own_account_sql()) {
    // The current account's own CREATE OR REPLACE would drop the session's account.
    if (absl::StartsWith(sql, self) || absl::StartsWith(sql, self_quoted)) continue;
    if (absl::Status s = session.Execute(sql); !s.ok()) {
      return Annotate(s, "restoring this node's agent/replication accounts");
    }
  }
  return session.Execute("SET SESSION sql_log_bin = 1");
}

}  // namespace

std::string SwapRecordPath(const std::string& state_dir) {
  return absl::StrCat(state_dir, "/physical-swap.pb");
}

absl::Status WriteSwapRecord(const std::string& state_dir, const v1::PhysicalSwapRecord& record) {
  std::string bytes;
  if (!record.SerializeToString(&bytes)) {
    return absl::InternalError("serialising the physical swap record failed");
  }
  return Annotate(WriteFileAtomically(SwapRecordPath(state_dir), bytes, 0600),
                  "writing the physical swap record");
}

absl::StatusOr<std::optional<v1::PhysicalSwapRecord>> ReadSwapRecord(const std::string& state_dir) {
  const std::string path = SwapRecordPath(state_dir);
  if (!Exists(path)) return std::nullopt;
  ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  v1::PhysicalSwapRecord record;
  if (!record.ParseFromString(bytes) || record.run_id().empty() || record.datadir().empty()) {
    return absl::DataLossError(absl::StrCat(path, " is not a physical swap record"));
  }
  return record;
}

absl::Status ClearSwapRecord(const std::string& state_dir) {
  const std::string path = SwapRecordPath(state_dir);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError(absl::StrCat("rm ", path));
  return absl::OkStatus();
}

absl::Status SaveOwnAccounts(DbSession& session, const std::string& agent_user,
                             const std::string& repl_user, v1::PhysicalSwapRecord& record) {
  ASSIGN_OR_RETURN(ResultSet users,
                   session.Query(absl::StrCat("SELECT User, Host FROM mysql.user WHERE User IN (",
                                              QuoteString(session, agent_user), ", ",
                                              QuoteString(session, repl_user), ") ORDER BY 1, 2")));
  for (size_t i = 0; i < users.rows.size(); ++i) {
    const std::string user = users.GetOr(i, "User", "");
    const std::string host = users.GetOr(i, "Host", "");
    const std::string name =
        absl::StrCat(QuoteString(session, user), "@", QuoteString(session, host));
    ASSIGN_OR_RETURN(ResultSet create, session.Query(absl::StrCat("SHOW CREATE USER ", name)));
    ASSIGN_OR_RETURN(ResultSet grants, session.Query(absl::StrCat("SHOW GRANTS FOR ", name)));
    if (create.rows.empty() || create.rows[0].empty() || !create.rows[0][0]) {
      return absl::InternalError(absl::StrCat("SHOW CREATE USER ", name, " returned nothing"));
    }
    std::string sql = *create.rows[0][0];
    if (absl::StartsWith(sql, "CREATE USER ")) {
      sql = absl::StrCat("CREATE OR REPLACE USER ", sql.substr(strlen("CREATE USER ")));
    }
    record.add_own_account_sql(std::move(sql));
    for (const auto& row : grants.rows) {
      if (!row.empty() && row[0]) record.add_own_account_sql(*row[0]);
    }
    v1::PhysicalSwapRecord::Account* account = record.add_own_accounts();
    account->set_user(user);
    account->set_host(host);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ImportResult> BringUpCopy(const SwapContext& context,
                                             const v1::PhysicalSwapRecord& record) {
  ASSIGN_OR_RETURN(MariadbServiceStatus status, context.service->Status());
  if (!status.running) RETURN_IF_ERROR(context.service->Start());
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, WaitConnectable(context));
  ASSIGN_OR_RETURN(int disabled, SettleNewServer(*session, record.event_scheduler()));
  RETURN_IF_ERROR(RestoreOwnAccounts(*session, context, record));
  v1::ImportResult result = record.result();
  result.set_events_disabled(static_cast<uint32_t>(disabled));
  if (auto schemas = ListUserSchemas(*session); schemas.ok()) {
    result.set_schemas(static_cast<uint32_t>(schemas->size()));
  }
  return result;
}

absl::Status PutOldDatadirBack(MariadbServiceController& service,
                               const v1::PhysicalSwapRecord& record, const absl::Status& why) {
  const std::string& datadir = record.datadir();
  const std::string backup_dir = PhysicalBackupDir(datadir, record.run_id());
  const std::string failed = absl::StrCat(PhysicalNewDir(datadir, record.run_id()), ".failed");
  log::Error("physical import failed after the swap: ", why.message(),
             "; putting the old datadir back");
  (void)service.Stop();
  if ((Exists(datadir) && ::rename(datadir.c_str(), failed.c_str()) != 0) ||
      ::rename(backup_dir.c_str(), datadir.c_str()) != 0) {
    return Annotate(why, absl::StrCat("and putting the old datadir back failed (",
                                      std::strerror(errno), "); it is at ", backup_dir));
  }
  absl::Status started = service.Start();
  return Annotate(why, started.ok() ? absl::StrCat("the old datadir is back in place and "
                                                   "mariadbd runs on it; the copy is at ",
                                                   failed)
                                    : absl::StrCat("the old datadir is back in place but "
                                                   "mariadbd did not start: ",
                                                   started.message()));
}

absl::Status FinishInterruptedSwap(const SwapContext& context, const std::string& state_dir) {
  ASSIGN_OR_RETURN(std::optional<v1::PhysicalSwapRecord> found, ReadSwapRecord(state_dir));
  if (!found.has_value() || found->settled()) return absl::OkStatus();
  v1::PhysicalSwapRecord record = std::move(*found);
  const std::string& datadir = record.datadir();
  const std::string new_dir = PhysicalNewDir(datadir, record.run_id());
  const std::string backup_dir = PhysicalBackupDir(datadir, record.run_id());
  const std::string what = absl::StrCat("run ", record.run_id(), "'s physical import stopped");

  if (!Exists(backup_dir)) {
    // Stopped before the old datadir was moved aside: it is untouched; only the server
    // may be down. The copy beside it is removed by the next attempt.
    log::Warning(what, " before its datadir swap: ", datadir,
                 " is untouched; starting mariadbd on it if it is down");
    ASSIGN_OR_RETURN(MariadbServiceStatus status, context.service->Status());
    if (!status.running) {
      RETURN_IF_ERROR(Annotate(context.service->Start(),
                               absl::StrCat(what,
                                            " before the swap; starting mariadbd on the "
                                            "untouched datadir ",
                                            datadir)));
    }
    return ClearSwapRecord(state_dir);
  }
  if (!Exists(datadir) && ::rename(new_dir.c_str(), datadir.c_str()) != 0) {
    return ErrnoError(absl::StrCat(what, " between the two renames of its swap: rename ", new_dir,
                                   " to ", datadir, " (the old datadir is at ", backup_dir, ")"));
  }
  log::Warning(what, " after its datadir swap (the old datadir is at ", backup_dir,
               "): starting mariadbd on the prepared copy, fenced, to finish it");
  auto result = BringUpCopy(context, record);
  if (!result.ok()) {
    absl::Status back = PutOldDatadirBack(*context.service, record, result.status());
    RETURN_IF_ERROR(ClearSwapRecord(state_dir));
    return Annotate(back, what);
  }
  record.set_settled(true);
  *record.mutable_result() = *result;
  RETURN_IF_ERROR(WriteSwapRecord(state_dir, record));
  log::Info(what, ": finished; mariadbd runs on the copy, read-only, at snapshot ",
            result->source_snapshot().file(), ":", result->source_snapshot().position(),
            "; `recover --resume` continues the run");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::ImportResult>> SettledSwapResult(const std::string& state_dir,
                                                                  const std::string& run_id) {
  ASSIGN_OR_RETURN(std::optional<v1::PhysicalSwapRecord> record, ReadSwapRecord(state_dir));
  if (!record.has_value()) return std::nullopt;
  if (!record->settled()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", record->run_id(), "'s datadir swap was interrupted and is not finished (",
        SwapRecordPath(state_dir), "; the old datadir is at ",
        PhysicalBackupDir(record->datadir(), record->run_id()),
        "): restart this agent, which finishes it or puts the old datadir back"));
  }
  if (record->run_id() != run_id) {
    RETURN_IF_ERROR(ClearSwapRecord(state_dir));
    return std::nullopt;
  }
  if (!Exists(PhysicalBackupDir(record->datadir(), run_id))) return std::nullopt;
  return record->result();
}

}  // namespace mmresync::agent
