#include "agent/replication_control.h"
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/validate.h"

namespace mmresync::agent {
namespace {

std::string Build(const ChangeMasterTarget& t, absl::string_view password_literal) {
  // MASTER_USE_GTID=no: file/position works on every pair (5.5-era ones included); a
  // GTID-mode replica would otherwise ignore the coordinates we give.
  return absl::StrCat("CHANGE MASTER TO MASTER_HOST='", t.host, "', MASTER_PORT=", t.port,
                      ", MASTER_USER='", t.user, "', MASTER_PASSWORD=", password_literal,
                      ", MASTER_LOG_FILE='", t.log_file, "', MASTER_LOG_POS=", t.log_pos,
                      ", MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=5");
}

}  // namespace

absl::Status ValidateChangeMaster(const ChangeMasterTarget& t) {
  RETURN_IF_ERROR(ValidateHost("master_host", t.host));
  RETURN_IF_ERROR(ValidatePort("master_port", t.port));
  // Replication user names come from the agent's own config, but they are still put in
  // SQL: keep them to a safe alphabet.
  RETURN_IF_ERROR(ValidateNodeName("repl_user", t.user));
  RETURN_IF_ERROR(ValidateBinlogFile("master_log_file", t.log_file));
  RETURN_IF_ERROR(ValidateBinlogPosition("master_log_pos", t.log_pos));
  return absl::OkStatus();
}

std::string DescribeChangeMaster(const ChangeMasterTarget& target) {
  return Build(target, "'***'");
}

absl::Status StopReplica(DbSession& session, bool reset) {
  RETURN_IF_ERROR(session.Execute("STOP SLAVE"));
  if (reset) RETURN_IF_ERROR(session.Execute("RESET SLAVE"));
  return absl::OkStatus();
}

absl::Status StartReplica(DbSession& session) { return session.Execute("START SLAVE"); }

absl::Status ChangeMaster(DbSession& session, const ChangeMasterTarget& target) {
  RETURN_IF_ERROR(ValidateChangeMaster(target));
  RETURN_IF_ERROR(session.Execute("STOP SLAVE"));
  // The statement carries the replication password: keep it out of the server's general
  // log (sql_log_off, which must work) and slow log (log_slow_query from 10.11,
  // slow_query_log before; a server with neither per session logs only statements
  // slower than long_query_time there). Restored afterwards for the session's next use.
  if (absl::Status s = session.Execute("SET SESSION sql_log_off = 1"); !s.ok()) {
    return Annotate(s, "cannot keep the replication password out of the general log");
  }
  std::string slow_log_variable;
  for (const char* variable : {"log_slow_query", "slow_query_log"}) {
    if (session.Execute(absl::StrCat("SET SESSION ", variable, " = 0")).ok()) {
      slow_log_variable = variable;
      break;
    }
  }
  absl::Status changed = session.Execute(Build(target, QuoteString(session, target.password)));
  if (!slow_log_variable.empty()) {
    (void)session.Execute(absl::StrCat("SET SESSION ", slow_log_variable, " = DEFAULT"));
  }
  (void)session.Execute("SET SESSION sql_log_off = DEFAULT");
  return changed;
}

absl::Status SetReadOnly(DbSession& session, bool read_only) {
  return session.Execute(read_only ? "SET GLOBAL read_only = ON" : "SET GLOBAL read_only = OFF");
}

}  // namespace mmresync::agent
