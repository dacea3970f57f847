#include "agent/transfer_source.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agent/dump_process.h"
#include "agent/load_data_format.h"
#include "agent/node_facts.h"
#include "agent/object_definitions.h"
#include "agent/part_writer.h"
#include "agent/replicated_schemas.h"
#include "agent/table_definition.h"
#include "common/reseed_sql.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// What the logical method cannot carry exactly: rows of non-transactional tables are
// not in the snapshot, sequences and system-versioned tables need their own statements.
absl::Status CheckSupported(DbSession& session, const std::vector<std::string>& schemas) {
  if (schemas.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(
      ResultSet rs,
      session.Query(absl::StrCat(
          "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, COALESCE(ENGINE, '') AS ENGINE FROM "
          "information_schema.TABLES WHERE TABLE_SCHEMA IN (",
          QuoteStringList(session, schemas),
          ") AND (TABLE_TYPE IN ('SEQUENCE', 'SYSTEM VERSIONED') OR (TABLE_TYPE = 'BASE TABLE' "
          "AND ENGINE <> 'InnoDB')) ORDER BY 1, 2 LIMIT 6")));
  if (rs.empty()) return absl::OkStatus();
  std::vector<std::string> what;
  for (size_t i = 0; i < rs.rows.size() && i < 5; ++i) {
    std::string type = rs.GetOr(i, "TABLE_TYPE", "");
    what.push_back(absl::StrCat(rs.GetOr(i, "TABLE_SCHEMA", ""), ".", rs.GetOr(i, "TABLE_NAME", ""),
                                " (", type == "BASE TABLE" ? rs.GetOr(i, "ENGINE", "?") : type,
                                ")"));
  }
  if (rs.rows.size() > 5) what.push_back("...");
  return Unsupported(absl::StrCat("tables the consistent snapshot does not cover exactly: ",
                                  absl::StrJoin(what, ", ")));
}

absl::Status CheckVersion(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SELECT @@version AS v"));
  std::string version = rs.GetOr(0, "v", "");
  std::vector<std::string> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  int major = 0, minor = 0;
  if (!absl::StrContains(version, "MariaDB") || parts.size() < 2 ||
      !absl::SimpleAtoi(parts[0], &major) || !absl::SimpleAtoi(parts[1], &minor)) {
    return Unsupported(absl::StrCat("server version \"", version, "\" is not MariaDB"));
  }
  if (major < 10 || (major == 10 && minor < 5)) {
    return Unsupported(absl::StrCat("MariaDB ", version, " is older than 10.5"));
  }
  return absl::OkStatus();
}

}  // namespace

// The rows each table part carries: every stored column (invisible ones included) in
// table order; generated columns are left to the server.
absl::StatusOr<std::vector<v1::TransferPart>> ListTableParts(
    DbSession& session, const std::vector<std::string>& schemas) {
  std::vector<v1::TransferPart> parts;
  if (schemas.empty()) return parts;
  ASSIGN_OR_RETURN(ResultSet tables,
                   session.Query(absl::StrCat(
                       "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(DATA_LENGTH, 0) + "
                       "COALESCE(INDEX_LENGTH, 0) AS BYTES FROM information_schema.TABLES "
                       "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (",
                       QuoteStringList(session, schemas), ") ORDER BY 1, 2")));
  ASSIGN_OR_RETURN(ResultSet columns,
                   session.Query(absl::StrCat(
                       "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, IS_GENERATED "
                       "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (",
                       QuoteStringList(session, schemas), ") ORDER BY 1, 2, ORDINAL_POSITION")));
  std::map<std::pair<std::string, std::string>, v1::TransferPart> by_name;
  for (size_t i = 0; i < tables.rows.size(); ++i) {
    v1::TransferPart part;
    part.set_kind(v1::TransferPart::TABLE_ROWS);
    part.set_schema(tables.GetOr(i, "TABLE_SCHEMA", ""));
    part.set_table(tables.GetOr(i, "TABLE_NAME", ""));
    uint64_t bytes = 0;
    (void)absl::SimpleAtoi(tables.GetOr(i, "BYTES", "0"), &bytes);
    part.set_estimated_bytes(bytes);
    by_name[{part.schema(), part.table()}] = part;
  }
  for (size_t i = 0; i < columns.rows.size(); ++i) {
    auto it =
        by_name.find({columns.GetOr(i, "TABLE_SCHEMA", ""), columns.GetOr(i, "TABLE_NAME", "")});
    if (it == by_name.end()) continue;  // a view's columns
    if (columns.GetOr(i, "IS_GENERATED", "NEVER") != "NEVER") continue;
    v1::LoadColumn* c = it->second.add_columns();
    c->set_name(columns.GetOr(i, "COLUMN_NAME", ""));
    c->set_via_variable(absl::EqualsIgnoreCase(columns.GetOr(i, "DATA_TYPE", ""), "bit"));
    c->set_as_double(absl::EqualsIgnoreCase(columns.GetOr(i, "DATA_TYPE", ""), "float"));
  }
  for (auto& [name, part] : by_name) {
    if (part.columns_size() == 0) {
      return absl::FailedPreconditionError(absl::StrCat("table ", QuoteIdentifier(name.first), ".",
                                                        QuoteIdentifier(name.second),
                                                        " has no stored columns"));
    }
    parts.push_back(std::move(part));
  }
  // Largest first: the long tables start early and the small ones fill the gaps.
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) {
    return a.estimated_bytes() > b.estimated_bytes();
  });
  return parts;
}

namespace {

absl::StatusOr<v1::BinlogCoordinates> WorkerSnapshot(DbSession& worker) {
  ASSIGN_OR_RETURN(ResultSet rs, worker.Query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'"));
  v1::BinlogCoordinates c;
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    std::string name = rs.GetOr(i, "Variable_name", "");
    std::string value = rs.GetOr(i, "Value", "");
    if (absl::EqualsIgnoreCase(name, "binlog_snapshot_file")) c.set_file(value);
    if (absl::EqualsIgnoreCase(name, "binlog_snapshot_position")) {
      uint64_t pos = 0;
      if (!absl::SimpleAtoi(value, &pos)) {
        return absl::InternalError(absl::StrCat("binlog_snapshot_position \"", value, "\""));
      }
      c.set_position(pos);
    }
  }
  if (c.file().empty()) {
    return absl::FailedPreconditionError(
        "the consistent snapshot has no binlog_snapshot_file (is binary logging on?)");
  }
  return c;
}

}  // namespace

absl::Status Unsupported(absl::string_view why) {
  return absl::UnimplementedError(
      absl::StrCat("the logical method cannot copy this source: ", why));
}

absl::StatusOr<std::unique_ptr<SourceTransfer>> SourceTransfer::Begin(
    const TransferSourceParams& params, std::string session_id) {
  std::unique_ptr<SourceTransfer> t(new SourceTransfer);
  t->params_ = params;
  t->manifest_.set_session_id(std::move(session_id));
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> control, params.db->Open());
  RETURN_IF_ERROR(CheckVersion(*control));
  RETURN_IF_ERROR(control->Execute(
      absl::StrCat("SET SESSION lock_wait_timeout = ", params.lock_wait_timeout_s)));
  // Only what replication carries: a schema the pair ignores is each node's own.
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListReplicatedSchemas(*control));
  // Checked before any lock, and again under BLOCK_DDL where it is final.
  RETURN_IF_ERROR(CheckSupported(*control, schemas));

  std::vector<std::unique_ptr<DbSession>> workers;
  for (uint32_t i = 0; i < std::max<uint32_t>(1, params.workers); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<DbSession> w, params.db->Open());
    RETURN_IF_ERROR(w->Execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    RETURN_IF_ERROR(w->Execute("SET NAMES binary"));
    RETURN_IF_ERROR(w->Execute("SET SESSION time_zone = '+00:00'"));
    workers.push_back(std::move(w));
  }

  auto stage_error = [](absl::string_view stage, const absl::Status& s) {
    return Annotate(s, absl::StrCat("BACKUP STAGE ", stage,
                                    absl::IsAborted(s) ? " (DDL or a backup running on the source "
                                                         "did not finish in time)"
                                                       : ""));
  };
  if (absl::Status s = control->Execute(kBackupStageStart); !s.ok()) {
    return stage_error("START", s);
  }
  // Whatever happens below, the source's DDL and commits are released before we return.
  absl::Cleanup end_stage = [&control] { (void)control->Execute(kBackupStageEnd); };
  if (absl::Status s = control->Execute(kBackupStageBlockDdl); !s.ok()) {
    return stage_error("BLOCK_DDL", s);
  }
  RETURN_IF_ERROR(CheckSupported(*control, schemas));
  ASSIGN_OR_RETURN(std::vector<v1::TransferPart> tables, ListTableParts(*control, schemas));
  if (params.delta) {
    // Under BLOCK_DDL: the definitions are those of the snapshot.
    ASSIGN_OR_RETURN(std::unique_ptr<DbSession> meta, params.db->Open());
    RETURN_IF_ERROR(meta->Execute("SET NAMES utf8mb4"));
    for (auto& table : tables) {
      ASSIGN_OR_RETURN(std::string create, ShowCreateTable(*meta, table.schema(), table.table()));
      table.set_create_table(std::move(create));
    }
    ASSIGN_OR_RETURN(std::string definitions, DefinitionsDigest(*meta, schemas));
    t->manifest_.set_definitions_digest(std::move(definitions));
    ASSIGN_OR_RETURN(ObjectList objects, ListObjectDefinitions(*meta, schemas));
    for (auto& o : objects) *t->manifest_.add_objects() = std::move(o);
  }
  if (!schemas.empty()) {
    ASSIGN_OR_RETURN(t->schema_sql_,
                     DumpSchemaText(params.dump_command, params.state_dir, params.connect, schemas,
                                    DumpContent::kSchemaPreData, params.max_schema_bytes));
    ASSIGN_OR_RETURN(t->post_sql_,
                     DumpSchemaText(params.dump_command, params.state_dir, params.connect, schemas,
                                    DumpContent::kSchemaPostData, params.max_schema_bytes));
  }

  const absl::Time block_start = absl::Now();
  if (absl::Status s = control->Execute(kBackupStageBlockCommit); !s.ok()) {
    return stage_error("BLOCK_COMMIT", s);
  }
  ASSIGN_OR_RETURN(AccountList listed, ListAccounts(*control, params.accounts));
  AccountExport accounts = RenderAccounts(*control, listed);
  if (params.delta) {
    v1::AccountDefinitions* defs = t->manifest_.mutable_account_definitions();
    for (auto& a : listed.accounts) *defs->add_accounts() = std::move(a);
    for (const std::string& user : {params.accounts.agent_user, params.accounts.repl_user}) {
      if (!user.empty()) defs->add_kept_users(user);
    }
  }
  ASSIGN_OR_RETURN(v1::BinlogCoordinates master, MasterCoordinates(*control));
  for (auto& w : workers) {
    RETURN_IF_ERROR(w->Execute(kConsistentSnapshotStatement));
    ASSIGN_OR_RETURN(v1::BinlogCoordinates seen, WorkerSnapshot(*w));
    if (seen.file() != master.file() || seen.position() != master.position()) {
      return absl::InternalError(absl::StrCat(
          "a snapshot connection saw ", seen.file(), ":", seen.position(), " while commits were ",
          "blocked at ", master.file(), ":", master.position(), "; the snapshots would differ"));
    }
  }
  std::move(end_stage).Invoke();
  t->manifest_.set_commit_block_ms(
      static_cast<uint64_t>(absl::ToInt64Milliseconds(absl::Now() - block_start)));

  t->accounts_sql_ = std::move(accounts.sql);
  *t->manifest_.mutable_snapshot() = master;
  t->manifest_.set_workers(static_cast<uint32_t>(workers.size()));
  t->manifest_.set_schemas(static_cast<uint32_t>(schemas.size()));
  t->manifest_.set_accounts(static_cast<uint32_t>(accounts.accounts));
  t->manifest_.set_method(params.delta ? "delta" : "logical");
  if (params.delta) t->manifest_.set_row_encoding(params.row_encoding);
  t->manifest_.set_part_checksum(params.part_checksum);
  uint32_t id = 0;
  auto add = [&](v1::TransferPart part, uint64_t bytes) {
    part.set_id(id++);
    if (bytes != 0) part.set_estimated_bytes(bytes);
    *t->manifest_.add_parts() = std::move(part);
  };
  v1::TransferPart schema_part;
  schema_part.set_kind(v1::TransferPart::SCHEMA_SQL);
  add(schema_part, t->schema_sql_.size());
  for (auto& table : tables) add(std::move(table), 0);
  v1::TransferPart post_part;
  post_part.set_kind(v1::TransferPart::POST_SQL);
  add(post_part, t->post_sql_.size());
  v1::TransferPart accounts_part;
  accounts_part.set_kind(v1::TransferPart::ACCOUNTS_SQL);
  add(accounts_part, t->accounts_sql_.size());

  absl::MutexLock lock(&t->mu_);
  t->idle_workers_ = std::move(workers);
  t->last_activity_ = absl::Now();
  return t;
}

SourceTransfer::~SourceTransfer() = default;

absl::StatusOr<std::unique_ptr<DbSession>> SourceTransfer::TakeWorker() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_workers_.empty() || expired_.load();
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(60))) {
    return absl::ResourceExhaustedError(
        "every snapshot connection stayed busy for 60 s (more parallel fetches than workers)");
  }
  if (expired_) return absl::CancelledError(absl::StrCat("transfer session ended: ", expired_why_));
  std::unique_ptr<DbSession> w = std::move(idle_workers_.back());
  idle_workers_.pop_back();
  return w;
}

void SourceTransfer::PartStarted() {
  absl::MutexLock lock(&mu_);
  ++active_parts_;
  last_activity_ = absl::Now();
}

void SourceTransfer::PartDone() {
  absl::MutexLock lock(&mu_);
  --active_parts_;
  last_activity_ = absl::Now();
}

void SourceTransfer::ReturnWorker(std::unique_ptr<DbSession> worker) {
  absl::MutexLock lock(&mu_);
  idle_workers_.push_back(std::move(worker));
}

absl::Status SourceTransfer::ServePart(uint32_t part_id,
                                       const std::function<bool(const v1::DumpChunk&)>& send,
                                       const std::function<bool()>& cancelled) {
  if (part_id >= static_cast<uint32_t>(manifest_.parts_size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid part_id ", part_id, ": the session has ", manifest_.parts_size(), " parts"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (expired_)
      return absl::CancelledError(absl::StrCat("transfer session ended: ", expired_why_));
  }
  PartStarted();
  absl::Cleanup done = [this] { PartDone(); };
  const v1::TransferPart& part = manifest_.parts(static_cast<int>(part_id));
  switch (part.kind()) {
    case v1::TransferPart::SCHEMA_SQL:
      return ServeText(schema_sql_, send, cancelled);
    case v1::TransferPart::POST_SQL:
      return ServeText(post_sql_, send, cancelled);
    case v1::TransferPart::ACCOUNTS_SQL:
      return ServeText(accounts_sql_, send, cancelled);
    case v1::TransferPart::TABLE_ROWS:
      return ServeTable(part, SelectColumnsSql(part), send, cancelled);
    default:
      return absl::InternalError("unknown part kind");
  }
}

namespace {

// The logical method's trailer: the part is complete SQL or rows, nothing like a dump
// footer to look for.
v1::DumpTrailer LogicalTrailer(uint64_t rows) {
  v1::DumpTrailer t;
  t.set_footer_seen(true);
  t.set_exit_status(0);
  t.set_rows(rows);
  return t;
}

}  // namespace

absl::Status SourceTransfer::ServeText(const std::string& text,
                                       const std::function<bool(const v1::DumpChunk&)>& send,
                                       const std::function<bool()>& cancelled) {
  PartWriter out(send, params_.part_checksum);
  for (size_t pos = 0; pos < text.size(); pos += params_.chunk_bytes) {
    if (cancelled() || expired_) return absl::CancelledError("transfer cancelled");
    std::string piece = text.substr(pos, params_.chunk_bytes);
    RETURN_IF_ERROR(out.Write(piece));
    Touch();
  }
  return out.Finish(LogicalTrailer(0));
}

absl::Status SourceTransfer::ServeTable(const v1::TransferPart& part, const std::string& select_sql,
                                        const std::function<bool(const v1::DumpChunk&)>& send,
                                        const std::function<bool()>& cancelled) {
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> worker, TakeWorker());
  PartWriter out(send, params_.part_checksum);
  std::string buf;
  buf.reserve(params_.chunk_bytes + (64 << 10));
  uint64_t rows = 0;
  absl::Status s = worker->StreamRows(select_sql, [&](const DbSession::RowValues& row) {
    AppendLoadDataRow(row, &buf);
    ++rows;
    if (buf.size() < params_.chunk_bytes) return absl::OkStatus();
    if (expired_ || cancelled()) return absl::CancelledError("transfer cancelled");
    // Hands buf back empty, its capacity kept.
    absl::Status w = out.WriteBounded(buf, params_.chunk_bytes);
    Touch();
    return w;
  });
  if (s.ok() && !buf.empty()) s = out.WriteBounded(buf, params_.chunk_bytes);
  if (s.ok()) s = out.Finish(LogicalTrailer(rows));
  const std::string name =
      absl::StrCat(QuoteIdentifier(part.schema()), ".", QuoteIdentifier(part.table()));
  if (!s.ok()) {
    // The worker's connection is left mid-result or closed: it is not reused.
    if (absl::StrContains(s.message(), "ERROR 1412 ") ||
        absl::StrContains(s.message(), "ERROR 1146 ")) {
      return Annotate(s, absl::StrCat("table ", name,
                                      " was changed by DDL on the source after the snapshot; "
                                      "the copy would differ, run the re-seed again"));
    }
    return Annotate(s, absl::StrCat("reading table ", name));
  }
  ReturnWorker(std::move(worker));
  return absl::OkStatus();
}

}  // namespace mmresync::agent
