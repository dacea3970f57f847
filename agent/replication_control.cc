#include "agent/replication_control.h"
#include "absl/strings/string_view.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/gtid_list.h"
#include "common/status_macros.h"
#include "common/validate.h"

namespace mmresync::agent {

absl::Status ValidateChangeMaster(const ChangeMasterTarget& t) {
  RETURN_IF_ERROR(ValidateHost("master_host", t.host));
  RETURN_IF_ERROR(ValidatePort("master_port", t.port));
  // Replication user names come from the agent's own config, but they are still put in
  // SQL: keep them to a safe alphabet.
  RETURN_IF_ERROR(ValidateNodeName("repl_user", t.user));
  if (!t.use_gtid.empty() && t.use_gtid != "no" && !UsesGtid(t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("use_gtid: \"", t.use_gtid, "\" is not one of no, slave_pos, current_pos"));
  }
  if (UsesGtid(t)) {
    // An empty list would make the replica start at the master's first binlog and
    // re-apply everything in it: a GTID position is required.
    if (t.gtid_slave_pos.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("gtid_slave_pos: required with use_gtid ", t.use_gtid));
    }
    return ValidateGtidList("gtid_slave_pos", t.gtid_slave_pos);
  }
  if (!t.gtid_slave_pos.empty()) {
    return absl::InvalidArgumentError("gtid_slave_pos: given without a GTID use_gtid");
  }
  RETURN_IF_ERROR(ValidateBinlogFile("master_log_file", t.log_file));
  RETURN_IF_ERROR(ValidateBinlogPosition("master_log_pos", t.log_pos));
  return absl::OkStatus();
}

absl::Status StopReplica(DbSession& session, bool reset) {
  for (const std::string& statement : StopReplicaStatements(reset)) {
    RETURN_IF_ERROR(session.Execute(statement));
  }
  return absl::OkStatus();
}

absl::Status StartReplica(DbSession& session) {
  return session.Execute(std::string(kStartReplicaStatement));
}

absl::Status ChangeMaster(DbSession& session, const ChangeMasterTarget& target) {
  RETURN_IF_ERROR(ValidateChangeMaster(target));
  const ChangeMasterStatements sql =
      BuildChangeMaster(target, QuoteString(session, target.password));
  RETURN_IF_ERROR(session.Execute(sql.stop));
  if (sql.set_gtid_pos) {
    // Validated above (digits, '-' and ',' only). Stored in mysql.gtid_slave_pos, not the
    // binlog, so sql_log_bin does not matter.
    if (absl::Status s = session.Execute(*sql.set_gtid_pos); !s.ok()) {
      return Annotate(s, absl::StrCat("SET GLOBAL gtid_slave_pos = '", target.gtid_slave_pos,
                                      "' (MASTER_USE_GTID=", target.use_gtid, ")"));
    }
  }
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
  absl::Status changed = session.Execute(sql.change);
  if (!slow_log_variable.empty()) {
    (void)session.Execute(absl::StrCat("SET SESSION ", slow_log_variable, " = DEFAULT"));
  }
  (void)session.Execute("SET SESSION sql_log_off = DEFAULT");
  return changed;
}

absl::StatusOr<std::string> ChangeMasterNotBehindOwnBinlog(DbSession& session,
                                                           ChangeMasterTarget target) {
  RETURN_IF_ERROR(ValidateChangeMaster(target));
  if (!UsesGtid(target)) {
    return absl::InvalidArgumentError("gtid_slave_pos raised to the own binlog: needs a GTID mode");
  }
  ASSIGN_OR_RETURN(std::vector<Gtid> requested, ParseGtidList(target.gtid_slave_pos));
  absl::Status last;
  for (int attempt = 0; attempt < kOwnBinlogAttempts; ++attempt) {
    ASSIGN_OR_RETURN(ResultSet rs,
                     session.Query("SELECT @@GLOBAL.gtid_binlog_state, @@GLOBAL.server_id"));
    if (rs.rows.empty() || rs.rows[0].size() < 2 || !rs.rows[0][1].has_value()) {
      return absl::InternalError("@@gtid_binlog_state, @@server_id: no row");
    }
    uint32_t server_id = 0;
    if (!absl::SimpleAtoi(*rs.rows[0][1], &server_id)) {
      return absl::InternalError(absl::StrCat("@@server_id: \"", *rs.rows[0][1], "\""));
    }
    absl::StatusOr<std::vector<Gtid>> state = ParseGtidList(rs.rows[0][0].value_or(""));
    if (!state.ok()) return Annotate(state.status(), "@@gtid_binlog_state");
    // Only the server's own GTIDs: the strict check compares the position with those.
    std::vector<Gtid> own_list;
    for (const Gtid& g : *state) {
      if (g.server == server_id) own_list.push_back(g);
    }
    target.gtid_slave_pos = FormatGtidList(NewestPerDomain(requested, own_list));
    last = ChangeMaster(session, target);
    if (last.ok()) return target.gtid_slave_pos;
    if (!absl::StrContains(last.message(), "ERROR 1947 ")) return last;
  }
  return Annotate(last, absl::StrCat("own binlog still ahead after ", kOwnBinlogAttempts,
                                     " attempts (a commit between each read and set)"));
}

absl::Status SetReadOnly(DbSession& session, bool read_only) {
  return session.Execute(SetReadOnlyStatement(read_only));
}

}  // namespace mmresync::agent
