#include "agent/source_dump.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/client_defaults.h"
#include "agent/dump_process.h"
#include "agent/node_facts.h"
#include "agent/replicated_schemas.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// Tables whose engine cannot take part in a consistent transaction.
absl::StatusOr<std::vector<std::string>> NonTransactionalTables(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE FROM "
                                               "information_schema.TABLES WHERE TABLE_TYPE = "
                                               "'BASE TABLE' AND ENGINE <> 'InnoDB'"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    std::string schema = rs.GetOr(i, "TABLE_SCHEMA", "");
    if (IsSystemSchema(schema)) continue;
    out.push_back(absl::StrCat(schema, ".", rs.GetOr(i, "TABLE_NAME", ""), " (",
                               rs.GetOr(i, "ENGINE", "?"), ")"));
  }
  return out;
}

// A global read lock waits behind long statements while blocking every writer: refuse
// to queue one behind a statement that has already run for a while.
absl::Status CheckNoLongStatements(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs,
                   session.Query("SELECT ID, USER, TIME, LEFT(COALESCE(INFO,''), 80) AS INFO "
                                 "FROM information_schema.PROCESSLIST WHERE COMMAND NOT IN "
                                 "('Sleep','Daemon','Binlog Dump','Slave_IO','Slave_SQL') AND "
                                 "TIME >= 20 AND ID <> CONNECTION_ID()"));
  if (rs.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    names.push_back(absl::StrCat("#", rs.GetOr(i, "ID", "?"), " ", rs.GetOr(i, "USER", "?"), " ",
                                 rs.GetOr(i, "TIME", "?"), "s \"", rs.GetOr(i, "INFO", ""), "\""));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "a global read lock would queue behind long-running statements and block all writes: ",
      absl::StrJoin(names, "; ")));
}

}  // namespace

absl::Status StreamSourceDump(const SourceDumpParams& params,
                              const std::function<bool(const v1::DumpChunk&)>& send) {
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, params.db->Open());
  // Only what replication carries: a schema the pair ignores is each node's own.
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListReplicatedSchemas(*session));
  ASSIGN_OR_RETURN(std::vector<std::string> non_tx, NonTransactionalTables(*session));

  Sha256 sha;
  uint64_t offset = 0;
  auto emit = [&](std::string data) -> absl::Status {
    v1::DumpChunk chunk;
    chunk.set_offset(offset);
    sha.Update(data);
    offset += data.size();
    *chunk.mutable_data() = std::move(data);
    if (!send(chunk)) return absl::CancelledError("the receiving agent went away");
    MMRESYNC_FAULT_POINT_BYTES("source_stream", chunk.data().size());
    return absl::OkStatus();
  };

  v1::DumpTrailer trailer;
  trailer.set_schemas(static_cast<uint32_t>(schemas.size()));
  absl::Time lock_start = absl::Now();
  if (schemas.empty()) {
    // Nothing to dump, but the target still needs coordinates: read them under a short
    // global read lock held by this session only.
    RETURN_IF_ERROR(session->Execute("SET SESSION lock_wait_timeout = 10"));
    RETURN_IF_ERROR(session->Execute("FLUSH TABLES WITH READ LOCK"));
    auto coords = MasterCoordinates(*session);
    (void)session->Execute("UNLOCK TABLES");
    if (!coords.ok()) return coords.status();
    trailer.set_lock_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(absl::Now() - lock_start)));
    trailer.set_global_read_lock_used(true);
    *trailer.mutable_snapshot() = *coords;
    RETURN_IF_ERROR(emit("-- mmresync: the source has no user schemas\n-- Dump completed\n"));
    trailer.set_footer_seen(true);
  } else {
    DumpSpec spec;
    spec.dump_command = params.dump_command;
    spec.schemas = schemas;
    spec.mode = non_tx.empty() ? SnapshotMode::kSingleTransaction : SnapshotMode::kGlobalReadLock;
    if (spec.mode == SnapshotMode::kGlobalReadLock) {
      RETURN_IF_ERROR(CheckNoLongStatements(*session));
      log::Warning("non-transactional tables (", absl::StrJoin(non_tx, ", "),
                   "): the source takes a global read lock for the whole dump");
    }
    ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(params.state_dir, params.connect));
    spec.defaults_file = defaults.path();
    DumpProcess dump;
    RETURN_IF_ERROR(dump.Start(spec));
    lock_start = absl::Now();
    while (true) {
      if (params.cancelled()) {
        dump.Abort();
        return absl::CancelledError("dump cancelled");
      }
      auto data = dump.Read(params.chunk_bytes);
      if (!data.ok()) {
        dump.Abort();
        return data.status();
      }
      if (data->empty()) break;
      if (absl::Status s = emit(std::move(*data)); !s.ok()) {
        dump.Abort();
        return s;
      }
    }
    RETURN_IF_ERROR(dump.Finish());
    if (spec.mode == SnapshotMode::kGlobalReadLock) {
      trailer.set_global_read_lock_used(true);
      trailer.set_lock_ms(
          static_cast<uint64_t>(absl::ToInt64Milliseconds(absl::Now() - lock_start)));
    }
    trailer.set_footer_seen(dump.scanner().footer_seen());
    if (!trailer.footer_seen()) {
      return absl::DataLossError("mariadb-dump output has no \"-- Dump completed\" footer");
    }
    auto coords = dump.scanner().coordinates();
    if (!coords.has_value()) {
      return absl::FailedPreconditionError(
          "mariadb-dump wrote no CHANGE MASTER coordinates (is binary logging on?)");
    }
    trailer.mutable_snapshot()->set_file(coords->file);
    trailer.mutable_snapshot()->set_position(coords->position);
    // The same point as a GTID position, as mariadb-dump --gtid computes it: a pair that
    // replicates by GTID is pointed there. BINLOG_GTID_POS is NULL when the binlog before
    // the point holds an event larger than this session's max_allowed_packet (an UPDATE
    // of a big row logs it twice): a file/position pair does not need the GTID, so the
    // copy goes on without it, and phase 1 of a GTID pair refuses an empty one.
    auto gtid = GtidAtPosition(*session, coords->file, coords->position);
    if (gtid.ok()) {
      trailer.mutable_snapshot()->set_gtid(std::move(*gtid));
    } else {
      log::Warning("the snapshot has no GTID position (", gtid.status().message(),
                   "; an event in the binary log before it may exceed max_allowed_packet: "
                   "raise it on this node for a GTID pair); file/position replication is "
                   "unaffected");
    }
  }

  ASSIGN_OR_RETURN(AccountExport accounts, ExportAccounts(*session, params.accounts));
  for (const auto& skipped : accounts.skipped) log::Warning("account not carried: ", skipped);
  trailer.set_accounts(static_cast<uint32_t>(accounts.accounts));
  RETURN_IF_ERROR(emit(std::move(accounts.sql)));

  trailer.set_bytes(offset);
  trailer.set_sha256(sha.HexDigest());
  trailer.set_exit_status(0);
  v1::DumpChunk last;
  last.set_offset(offset);
  *last.mutable_trailer() = trailer;
  if (!send(last)) return absl::CancelledError("the receiving agent went away");
  return absl::OkStatus();
}

}  // namespace mmresync::agent
