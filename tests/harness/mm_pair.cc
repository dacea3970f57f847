#include "tests/harness/mm_pair.h"

#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/table_checksums.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

// A column of a SHOW ... STATUS row, "" when absent.
std::string Value(const std::map<std::string, std::string>& row, const std::string& key) {
  auto it = row.find(key);
  return it == row.end() ? std::string() : it->second;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MasterMasterPair>> MasterMasterPair::Start(
    const MasterMasterOptions& options) {
  std::unique_ptr<MasterMasterPair> pair(new MasterMasterPair());
  pair->options_ = options;
  pair->base_dir_ = options.base_dir;
  if (pair->base_dir_.empty()) {
    ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("mmr"));
    pair->base_dir_ = dir.path();
    pair->temp_dir_.emplace(std::move(dir));
  }
  std::vector<MariadbOptions> node_options(2);
  for (int i = 0; i < 2; ++i) {
    node_options[i].base_dir = pair->base_dir_;
    node_options[i].server_id = i + 1;
    node_options[i].auto_increment_offset = i + 1;
    node_options[i].auto_increment_increment = 2;
    node_options[i].extra_cnf_lines = options.extra_cnf_lines;
    node_options[i].startup_timeout = options.startup_timeout;
  }
  ASSIGN_OR_RETURN(auto nodes, MariadbInstance::StartAll(node_options));
  pair->nodes_[0] = std::move(nodes[0]);
  pair->nodes_[1] = std::move(nodes[1]);
  return pair;
}

MasterMasterPair::~MasterMasterPair() {
  nodes_[1].reset();
  nodes_[0].reset();
}

absl::Status MasterMasterPair::CheckIndex(int node) const {
  if (node != 0 && node != 1) {
    return absl::InvalidArgumentError(absl::StrCat("node index ", node, " is not 0 or 1"));
  }
  if (nodes_[node] == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("node index ", node, " is not started"));
  }
  return absl::OkStatus();
}

absl::StatusOr<agent::ResultSet> MasterMasterPair::Query(int node, absl::string_view sql) {
  RETURN_IF_ERROR(CheckIndex(node));
  ASSIGN_OR_RETURN(auto session, nodes_[node]->Connect());
  auto result = session->Query(sql);
  if (!result.ok()) return Annotate(result.status(), nodes_[node]->describe());
  return result;
}

absl::StatusOr<std::string> MasterMasterPair::QueryValue(int node, absl::string_view sql) {
  ASSIGN_OR_RETURN(agent::ResultSet result, Query(node, sql));
  if (result.rows.empty() || result.rows[0].empty() || !result.rows[0][0].has_value()) {
    return absl::NotFoundError(absl::StrCat(
        nodes_[node]->describe(), ": ", result.rows.empty() ? "no row" : "NULL", " from ", sql));
  }
  return *result.rows[0][0];
}

absl::Status MasterMasterPair::Exec(int node, absl::string_view sql) {
  return ExecAll(node, {std::string(sql)});
}

absl::Status MasterMasterPair::ExecAll(int node, const std::vector<std::string>& statements) {
  RETURN_IF_ERROR(CheckIndex(node));
  ASSIGN_OR_RETURN(auto session, nodes_[node]->Connect());
  for (const std::string& sql : statements) {
    RETURN_IF_ERROR(Annotate(session->Execute(sql), nodes_[node]->describe()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> MasterMasterPair::SlaveStatus(int node) {
  ASSIGN_OR_RETURN(agent::ResultSet result, Query(node, "SHOW SLAVE STATUS"));
  std::map<std::string, std::string> row;
  if (result.rows.empty()) return row;
  for (size_t i = 0; i < result.columns.size(); ++i) {
    row[result.columns[i]] = result.rows[0][i].value_or("");
  }
  return row;
}

absl::StatusOr<std::pair<std::string, uint64_t>> MasterMasterPair::MasterStatus(int node) {
  ASSIGN_OR_RETURN(agent::ResultSet result, Query(node, "SHOW MASTER STATUS"));
  const std::string file = result.GetOr(0, "File", "");
  uint64_t position = 0;
  if (file.empty() || !absl::SimpleAtoi(result.GetOr(0, "Position", ""), &position)) {
    return absl::FailedPreconditionError(
        absl::StrCat(nodes_[node]->describe(), ": SHOW MASTER STATUS is empty (binlog off?)"));
  }
  return std::make_pair(file, position);
}

absl::Status MasterMasterPair::ConfigureReplication(absl::Duration timeout) {
  RETURN_IF_ERROR(CheckIndex(0));
  RETURN_IF_ERROR(CheckIndex(1));
  for (int i = 0; i < 2; ++i) {
    MariadbInstance& replica = *nodes_[i];
    MariadbInstance& source = *nodes_[1 - i];
    ASSIGN_OR_RETURN(auto coordinates, MasterStatus(1 - i));
    ASSIGN_OR_RETURN(auto session, replica.Connect());
    const bool gtid = options_.use_gtid != "no";
    std::string position =
        absl::StrCat(", MASTER_LOG_FILE=", agent::QuoteString(*session, coordinates.first),
                     ", MASTER_LOG_POS=", coordinates.second, ", MASTER_USE_GTID=no");
    std::string slave_pos;
    if (gtid) {
      const std::string peer_gtid =
          QueryValue(1 - i, "SELECT @@GLOBAL.gtid_binlog_pos").value_or("");
      slave_pos =
          absl::StrCat("SET GLOBAL gtid_slave_pos = ", agent::QuoteString(*session, peer_gtid));
      position = absl::StrCat(", MASTER_USE_GTID=", options_.use_gtid);
    }
    const std::string change_master =
        absl::StrCat("CHANGE MASTER TO MASTER_HOST=", agent::QuoteString(*session, source.host()),
                     ", MASTER_PORT=", source.port(),
                     ", MASTER_USER=", agent::QuoteString(*session, source.repl_user()),
                     ", MASTER_PASSWORD=", agent::QuoteString(*session, source.repl_password()),
                     position, ", MASTER_CONNECT_RETRY=", options_.connect_retry_s);
    // Statements are not quoted in errors: CHANGE MASTER carries the password.
    RETURN_IF_ERROR(Annotate(session->Execute("STOP SLAVE"), replica.describe()));
    if (gtid) RETURN_IF_ERROR(Annotate(session->Execute(slave_pos), replica.describe()));
    RETURN_IF_ERROR(
        Annotate(session->Execute(change_master), replica.describe() + ": CHANGE MASTER"));
    RETURN_IF_ERROR(Annotate(session->Execute("START SLAVE"), replica.describe()));
    log::Info(replica.describe(), " replicates from ", source.describe(), " at ", coordinates.first,
              ":", coordinates.second);
  }
  return WaitForOk(
      [&]() -> absl::Status {
        for (int i = 0; i < 2; ++i) {
          ASSIGN_OR_RETURN(auto status, SlaveStatus(i));
          if (Value(status, "Slave_IO_Running") != "Yes" ||
              Value(status, "Slave_SQL_Running") != "Yes") {
            return absl::FailedPreconditionError(absl::StrCat(
                nodes_[i]->describe(), ": Slave_IO_Running=", Value(status, "Slave_IO_Running"),
                " Slave_SQL_Running=", Value(status, "Slave_SQL_Running"),
                " Last_IO_Error=", Value(status, "Last_IO_Error"),
                " Last_SQL_Error=", Value(status, "Last_SQL_Error")));
          }
        }
        return absl::OkStatus();
      },
      timeout, absl::Milliseconds(100), "replication threads running on both nodes");
}

absl::Status MasterMasterPair::WaitInSync(absl::Duration timeout) {
  RETURN_IF_ERROR(CheckIndex(0));
  RETURN_IF_ERROR(CheckIndex(1));
  absl::Status fatal;
  absl::Status last = absl::UnknownError("not checked");
  auto check = [&]() -> absl::Status {
    for (int i = 0; i < 2; ++i) {
      // The peer's position first: the replica's can only have grown after it.
      ASSIGN_OR_RETURN(auto peer, MasterStatus(1 - i));
      ASSIGN_OR_RETURN(auto status, SlaveStatus(i));
      if (status.empty()) {
        fatal = absl::FailedPreconditionError(
            absl::StrCat(nodes_[i]->describe(), ": no replica configuration"));
        return fatal;
      }
      if (Value(status, "Slave_SQL_Running") != "Yes") {
        const std::string sql_errno = Value(status, "Last_SQL_Errno");
        if (!sql_errno.empty() && sql_errno != "0") {
          fatal = absl::FailedPreconditionError(
              absl::StrCat(nodes_[i]->describe(), ": SQL thread stopped with error ", sql_errno,
                           ": ", Value(status, "Last_SQL_Error")));
          return fatal;
        }
      }
      uint64_t executed = 0;
      (void)absl::SimpleAtoi(Value(status, "Exec_Master_Log_Pos"), &executed);
      const std::string file = Value(status, "Relay_Master_Log_File");
      if (std::tie(file, executed) < std::tie(peer.first, peer.second)) {
        return absl::UnavailableError(
            absl::StrCat(nodes_[i]->describe(), " executed ", file, ":", executed, ", ",
                         nodes_[1 - i]->describe(), " is at ", peer.first, ":", peer.second,
                         " (Slave_IO_Running=", Value(status, "Slave_IO_Running"),
                         ", Slave_SQL_Running=", Value(status, "Slave_SQL_Running"),
                         ", Last_IO_Error=", Value(status, "Last_IO_Error"), ")"));
      }
    }
    return absl::OkStatus();
  };
  absl::Status waited = WaitUntil(
      [&] {
        last = check();
        return last.ok() || !fatal.ok();
      },
      timeout, absl::Milliseconds(50), "both nodes to execute each other's binlog");
  if (!fatal.ok()) return fatal;
  if (!waited.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(waited.message(), "; last: ", last.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> MasterMasterPair::TableChecksums(int node) {
  ASSIGN_OR_RETURN(agent::ResultSet tables,
                   Query(node,
                         "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                         " WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN"
                         " ('mysql', 'information_schema', 'performance_schema', 'sys')"
                         " AND TABLE_SCHEMA NOT LIKE 'mmr\\_park\\_%'"
                         " ORDER BY TABLE_SCHEMA, TABLE_NAME"));
  ASSIGN_OR_RETURN(auto session, nodes_[node]->Connect());
  // The agent's own per-table checksum: CHECKSUM TABLE is not stable on tables with
  // VIRTUAL columns (table_checksums.h).
  auto with_virtual = agent::TablesWithVirtualColumns(*session);
  if (!with_virtual.ok()) return Annotate(with_virtual.status(), nodes_[node]->describe());
  std::map<std::string, std::string> checksums;
  for (size_t i = 0; i < tables.rows.size(); ++i) {
    const std::string schema = tables.GetOr(i, "TABLE_SCHEMA", "");
    const std::string table = tables.GetOr(i, "TABLE_NAME", "");
    const std::string quoted =
        absl::StrCat(agent::QuoteIdentifier(schema), ".", agent::QuoteIdentifier(table));
    auto checksum = agent::TableChecksum(*session, *with_virtual, schema, table);
    if (!checksum.ok()) return Annotate(checksum.status(), nodes_[node]->describe());
    auto count = session->Query(absl::StrCat("SELECT COUNT(*) FROM ", quoted));
    if (!count.ok()) return Annotate(count.status(), nodes_[node]->describe());
    checksums[absl::StrCat(schema, ".", table)] =
        absl::StrCat(checksum->value_or("NULL"), "/",
                     count->rows.empty() ? "?" : count->rows[0][0].value_or("NULL"));
  }
  return checksums;
}

absl::StatusOr<bool> MasterMasterPair::ReplicationHealthy(int node) {
  ASSIGN_OR_RETURN(auto status, SlaveStatus(node));
  if (status.empty()) return false;
  return Value(status, "Slave_IO_Running") == "Yes" &&
         Value(status, "Slave_SQL_Running") == "Yes" && Value(status, "Last_SQL_Errno") == "0";
}

}  // namespace mmresync::testing
