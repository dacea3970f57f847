#include "agent/node_facts.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/validate.h"

namespace mmresync::agent {
namespace {

uint64_t ToU64(const std::optional<std::string>& v) {
  uint64_t out = 0;
  if (v.has_value()) (void)absl::SimpleAtoi(*v, &out);
  return out;
}

bool IsOn(const std::optional<std::string>& v) {
  if (!v.has_value()) return false;
  std::string s = absl::AsciiStrToUpper(*v);
  return s == "1" || s == "ON" || s == "YES";
}

}  // namespace

bool IsSystemSchema(absl::string_view schema) {
  // Parked backups (agent/parked_backup.h) are the node's own, never user data.
  return schema == "mysql" || schema == "information_schema" || schema == "performance_schema" ||
         schema == "sys" || absl::StartsWith(schema, "mmr_park_");
}

absl::StatusOr<std::vector<std::string>> ListUserSchemas(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs,
                   session.Query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    std::string name = rs.GetOr(i, "SCHEMA_NAME", "");
    if (!name.empty() && !IsSystemSchema(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<v1::BinlogCoordinates> MasterCoordinates(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SHOW MASTER STATUS"));
  if (rs.empty()) {
    return absl::FailedPreconditionError("binary logging is off (SHOW MASTER STATUS is empty)");
  }
  v1::BinlogCoordinates c;
  c.set_file(rs.GetOr(0, "File", ""));
  c.set_position(ToU64(rs.Get(0, "Position")));
  ASSIGN_OR_RETURN(ResultSet gtid, session.Query("SELECT @@GLOBAL.gtid_binlog_pos"));
  if (!gtid.empty() && !gtid.rows[0].empty() && gtid.rows[0][0].has_value()) {
    c.set_gtid(*gtid.rows[0][0]);
  }
  return c;
}

absl::StatusOr<std::string> GtidAtPosition(DbSession& session, const std::string& file,
                                           uint64_t position) {
  ASSIGN_OR_RETURN(ResultSet rs,
                   session.Query(absl::StrCat("SELECT BINLOG_GTID_POS(", QuoteString(session, file),
                                              ", ", position, ")")));
  if (rs.empty() || rs.rows[0].empty() || !rs.rows[0][0].has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("BINLOG_GTID_POS('", file, "', ", position,
                                                      ") is NULL: no such binlog position"));
  }
  RETURN_IF_ERROR(ValidateGtidList("BINLOG_GTID_POS", *rs.rows[0][0]));
  return *rs.rows[0][0];
}

absl::StatusOr<std::vector<std::string>> ReplicationFilters(DbSession& session) {
  std::vector<std::string> out;
  ASSIGN_OR_RETURN(ResultSet vars, session.Query("SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'"));
  for (size_t i = 0; i < vars.rows.size(); ++i) {
    std::string name = absl::AsciiStrToLower(vars.GetOr(i, "Variable_name", ""));
    std::string value = vars.GetOr(i, "Value", "");
    // Only the filters: replicate_events_marked_for_skip, replicate_same_server_id, ...
    // are settings, not filters.
    bool filter = absl::StartsWith(name, "replicate_do_") ||
                  absl::StartsWith(name, "replicate_ignore_") ||
                  absl::StartsWith(name, "replicate_wild_") || name == "replicate_rewrite_db";
    if (filter && !value.empty()) out.push_back(absl::StrCat(name, "=", value));
  }
  // binlog_do_db / binlog_ignore_db are startup options shown only by SHOW MASTER STATUS.
  ASSIGN_OR_RETURN(ResultSet master, session.Query("SHOW MASTER STATUS"));
  if (!master.empty()) {
    for (const char* column : {"Binlog_Do_DB", "Binlog_Ignore_DB"}) {
      std::string value = master.GetOr(0, column, "");
      if (!value.empty()) out.push_back(absl::StrCat(absl::AsciiStrToLower(column), "=", value));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<v1::ReplicaStatus> ReplicaState(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SHOW SLAVE STATUS"));
  v1::ReplicaStatus r;
  if (rs.empty()) return r;
  r.set_configured(true);
  r.set_master_host(rs.GetOr(0, "Master_Host", ""));
  r.set_master_port(static_cast<uint32_t>(ToU64(rs.Get(0, "Master_Port"))));
  r.set_io_running(rs.GetOr(0, "Slave_IO_Running", ""));
  r.set_sql_running(rs.GetOr(0, "Slave_SQL_Running", ""));
  r.set_last_io_errno(static_cast<uint32_t>(ToU64(rs.Get(0, "Last_IO_Errno"))));
  r.set_last_io_error(rs.GetOr(0, "Last_IO_Error", ""));
  r.set_last_sql_errno(static_cast<uint32_t>(ToU64(rs.Get(0, "Last_SQL_Errno"))));
  r.set_last_sql_error(rs.GetOr(0, "Last_SQL_Error", ""));
  r.set_master_log_file(rs.GetOr(0, "Relay_Master_Log_File", ""));
  r.set_exec_master_log_pos(ToU64(rs.Get(0, "Exec_Master_Log_Pos")));
  r.set_read_master_log_file(rs.GetOr(0, "Master_Log_File", ""));
  r.set_read_master_log_pos(ToU64(rs.Get(0, "Read_Master_Log_Pos")));
  auto behind = rs.Get(0, "Seconds_Behind_Master");
  int64_t seconds = -1;
  if (behind.has_value()) (void)absl::SimpleAtoi(*behind, &seconds);
  r.set_seconds_behind_master(seconds);
  r.set_using_gtid(rs.GetOr(0, "Using_Gtid", ""));
  return r;
}

absl::Status CollectReplicationFacts(DbSession& session, v1::NodeStatus* status) {
  ASSIGN_OR_RETURN(
      ResultSet vars,
      session.Query(
          "SELECT @@server_id AS server_id, @@version AS version, @@read_only AS "
          "read_only, @@log_bin AS log_bin, @@GLOBAL.binlog_format AS binlog_format, "
          "@@log_slave_updates AS log_slave_updates, @@gtid_binlog_state AS "
          "gtid_binlog_state, @@gtid_slave_pos AS gtid_slave_pos, @@gtid_domain_id "
          "AS gtid_domain_id, @@GLOBAL.auto_increment_increment AS aii, "
          "@@GLOBAL.auto_increment_offset AS aio, @@datadir AS datadir, @@gtid_strict_mode AS "
          "gtid_strict_mode, @@GLOBAL.max_allowed_packet AS max_allowed_packet"));
  if (vars.empty()) return absl::InternalError("server variables query returned no row");
  status->set_server_id(static_cast<uint32_t>(ToU64(vars.Get(0, "server_id"))));
  status->set_version(vars.GetOr(0, "version", ""));
  status->set_read_only(IsOn(vars.Get(0, "read_only")));
  status->set_log_bin(IsOn(vars.Get(0, "log_bin")));
  status->set_binlog_format(vars.GetOr(0, "binlog_format", ""));
  status->set_log_slave_updates(IsOn(vars.Get(0, "log_slave_updates")));
  status->set_gtid_binlog_state(vars.GetOr(0, "gtid_binlog_state", ""));
  status->set_gtid_slave_pos(vars.GetOr(0, "gtid_slave_pos", ""));
  status->set_gtid_domain_id(static_cast<uint32_t>(ToU64(vars.Get(0, "gtid_domain_id"))));
  status->set_auto_increment_increment(static_cast<uint32_t>(ToU64(vars.Get(0, "aii"))));
  status->set_auto_increment_offset(static_cast<uint32_t>(ToU64(vars.Get(0, "aio"))));
  status->set_gtid_strict_mode(IsOn(vars.Get(0, "gtid_strict_mode")));
  status->set_max_allowed_packet(ToU64(vars.Get(0, "max_allowed_packet")));
  ASSIGN_OR_RETURN(std::vector<std::string> filters, ReplicationFilters(session));
  for (auto& f : filters) status->add_replication_filters(std::move(f));

  if (status->log_bin()) {
    ASSIGN_OR_RETURN(*status->mutable_master(), MasterCoordinates(session));
    ASSIGN_OR_RETURN(ResultSet logs, session.Query("SHOW BINARY LOGS"));
    for (size_t i = 0; i < logs.rows.size(); ++i) {
      status->add_binary_logs(logs.GetOr(i, "Log_name", ""));
    }
  }
  ASSIGN_OR_RETURN(*status->mutable_replica(), ReplicaState(session));
  return absl::OkStatus();
}

namespace {

// Each base table's column definitions as a digest, for `--method auto` (does a delta
// repair fit?). One query over information_schema.COLUMNS for all user schemas.
absl::Status CollectTableShapes(
    DbSession& session, const std::vector<std::string>& user_schemas,
    const std::map<std::pair<std::string, std::string>, uint64_t>& base_tables,
    std::map<std::string, v1::SchemaSize>& sizes) {
  if (user_schemas.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      ResultSet columns,
      session.Query(absl::StrCat(
          "SELECT TABLE_SCHEMA AS S, TABLE_NAME AS N, LEFT(SHA2(GROUP_CONCAT(CONCAT_WS(0x1f, "
          "COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLLATION_NAME, ''), COLUMN_KEY, "
          "IFNULL(COLUMN_DEFAULT, 0x00), EXTRA, IFNULL(GENERATION_EXPRESSION, '')) ORDER BY "
          "ORDINAL_POSITION SEPARATOR 0x1e), 256), 16) AS D, MAX(COLUMN_KEY = 'PRI') AS K "
          "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (",
          QuoteStringList(session, user_schemas), ") GROUP BY TABLE_SCHEMA, TABLE_NAME")));
  for (size_t i = 0; i < columns.rows.size(); ++i) {
    const std::string schema = columns.GetOr(i, "S", "");
    const std::string table = columns.GetOr(i, "N", "");
    auto base = base_tables.find({schema, table});
    auto size = sizes.find(schema);
    if (base == base_tables.end() || size == sizes.end()) continue;  // a view
    v1::TableShape* shape = size->second.add_table_shapes();
    shape->set_name(table);
    shape->set_definition(columns.GetOr(i, "D", ""));
    shape->set_keyed(columns.GetOr(i, "K", "0") == "1");
    shape->set_bytes(base->second);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CollectDatabaseFacts(DbSession& session, v1::NodeStatus* status) {
  RETURN_IF_ERROR(CollectReplicationFacts(session, status));

  // Sizes per user schema, from table metadata: an estimate of what the dump carries.
  ASSIGN_OR_RETURN(ResultSet schemas,
                   session.Query("SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, TABLE_TYPE, "
                                 "COALESCE(DATA_LENGTH,0) + COALESCE(INDEX_LENGTH,0) AS BYTES "
                                 "FROM information_schema.TABLES"));
  ASSIGN_OR_RETURN(std::vector<std::string> user_schemas, ListUserSchemas(session));
  std::map<std::string, v1::SchemaSize> sizes;
  for (const auto& name : user_schemas) sizes[name].set_name(name);
  std::set<std::string> engines;
  std::map<std::pair<std::string, std::string>, uint64_t> base_tables;  // -> bytes
  for (size_t i = 0; i < schemas.rows.size(); ++i) {
    std::string schema = schemas.GetOr(i, "TABLE_SCHEMA", "");
    auto it = sizes.find(schema);
    if (it == sizes.end()) continue;
    if (schemas.GetOr(i, "TABLE_TYPE", "") != "BASE TABLE") continue;
    std::string engine = schemas.GetOr(i, "ENGINE", "");
    it->second.set_bytes(it->second.bytes() + ToU64(schemas.Get(i, "BYTES")));
    base_tables[{schema, schemas.GetOr(i, "TABLE_NAME", "")}] = ToU64(schemas.Get(i, "BYTES"));
    it->second.set_tables(it->second.tables() + 1);
    if (absl::AsciiStrToLower(engine) != "innodb") {
      it->second.set_non_transactional_tables(it->second.non_transactional_tables() + 1);
    }
    if (!engine.empty()) engines.insert(engine);
  }
  RETURN_IF_ERROR(CollectTableShapes(session, user_schemas, base_tables, sizes));
  for (auto& [name, size] : sizes) *status->add_schemas() = size;
  for (const auto& e : engines) status->add_engines(e);

  ASSIGN_OR_RETURN(ResultSet events,
                   session.Query("SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS "
                                 "WHERE STATUS = 'SLAVESIDE_DISABLED' "
                                 "ORDER BY EVENT_SCHEMA, EVENT_NAME"));
  for (size_t i = 0; i < events.rows.size(); ++i) {
    std::string schema = events.GetOr(i, "EVENT_SCHEMA", "");
    if (IsSystemSchema(schema)) continue;
    status->add_replica_disabled_events(
        absl::StrCat(schema, ".", events.GetOr(i, "EVENT_NAME", "")));
  }
  return absl::OkStatus();
}

}  // namespace mmresync::agent
