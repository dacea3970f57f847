#include "agent/parked_backup.h"

#include <cstdio>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/dump_process.h"
#include "agent/node_facts.h"
#include "agent/replicated_schemas.h"
#include "common/files.h"
#include "common/reseed_sql.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

struct Table {
  std::string schema;
  std::string name;
};

}  // namespace

std::string ParkedSchemaName(absl::string_view run_id, int index) {
  // A digest, not absl::Hash: that one is seeded per process, so an agent restarted
  // between two attempts of one run would not find the run's earlier parking.
  Sha256 sha;
  sha.Update(run_id);
  return absl::StrFormat("%s%s_%d", kParkedSchemaPrefix, sha.HexDigest().substr(0, 8), index);
}

absl::StatusOr<v1::BackupReply> ParkUserData(const BackupParams& params) {
  const std::string path = BackupPath(params.state_dir, params.run_id);
  RETURN_IF_ERROR(MakeDirs(absl::StrCat(params.state_dir, "/backups"), 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, params.db->Open());
  RETURN_IF_ERROR(session->Execute(kBinlogOffStatement));
  // A transaction left open on the fenced node would make the RENAME wait for ever.
  RETURN_IF_ERROR(session->Execute("SET SESSION lock_wait_timeout = 60"));
  // The schemas the import replaces; one replication ignores stays in place, untouched.
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListReplicatedSchemas(*session));

  // An earlier attempt of this run that got as far as moving tables is not repeated: its
  // script (and the parked tables) are what must be kept.
  ASSIGN_OR_RETURN(ResultSet earlier,
                   session->Query(absl::StrCat(
                       "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ",
                       QuoteString(*session, ParkedSchemaName(params.run_id, 0)))));
  if (!earlier.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", params.run_id, " already parked tables in ", ParkedSchemaName(params.run_id, 0),
        "...; its restore script is ", path, " (or ", path, ".partial)"));
  }

  std::vector<Table> tables;
  std::vector<std::pair<std::string, std::string>> triggers;  // schema, trigger
  if (!schemas.empty()) {
    std::vector<std::string> quoted;
    for (const auto& s : schemas) quoted.push_back(QuoteString(*session, s));
    const std::string in = absl::StrJoin(quoted, ",");
    ASSIGN_OR_RETURN(ResultSet rs, session->Query(absl::StrCat(
                                       "SELECT TABLE_SCHEMA, TABLE_NAME FROM "
                                       "information_schema.TABLES WHERE TABLE_TYPE <> 'VIEW' "
                                       "AND TABLE_SCHEMA IN (",
                                       in, ") ORDER BY 1, 2")));
    for (size_t i = 0; i < rs.rows.size(); ++i) {
      tables.push_back({rs.GetOr(i, "TABLE_SCHEMA", ""), rs.GetOr(i, "TABLE_NAME", "")});
    }
    ASSIGN_OR_RETURN(ResultSet tr, session->Query(absl::StrCat(
                                       "SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM "
                                       "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (",
                                       in, ")")));
    for (size_t i = 0; i < tr.rows.size(); ++i) {
      triggers.emplace_back(tr.GetOr(i, "TRIGGER_SCHEMA", ""), tr.GetOr(i, "TRIGGER_NAME", ""));
    }
  }
  std::map<std::string, std::string> parked;  // user schema -> its parking schema
  for (size_t i = 0; i < schemas.size(); ++i) {
    parked[schemas[i]] = ParkedSchemaName(params.run_id, static_cast<int>(i));
  }

  // The restore script, complete before anything moves.
  std::string script = absl::StrCat(
      "-- mmresync backup of the target before re-seed, run ", params.run_id,
      "\n-- Parked: the user tables were moved (RENAME TABLE) into ", kParkedSchemaPrefix,
      "* schemas;\n-- this script puts them back. Run it on the fenced node:\n"
      "--   mariadb --init-command='SET sql_log_bin=0' < THIS_FILE\n"
      "SET SESSION sql_log_bin = 0;\nSET SESSION foreign_key_checks = 0;\n");
  for (const auto& [schema, park] : parked) {
    absl::StrAppend(&script, "-- ", QuoteIdentifier(schema), " is parked in ",
                    QuoteIdentifier(park), "\nDROP DATABASE IF EXISTS ", QuoteIdentifier(schema),
                    ";\n");
  }
  if (!schemas.empty()) {
    ASSIGN_OR_RETURN(std::string pre,
                     DumpSchemaText(params.dump_command, params.state_dir, params.connect, schemas,
                                    DumpContent::kSchemaPreData, size_t{1} << 30));
    ASSIGN_OR_RETURN(std::string post,
                     DumpSchemaText(params.dump_command, params.state_dir, params.connect, schemas,
                                    DumpContent::kSchemaPostData, size_t{1} << 30));
    absl::StrAppend(&script, pre, "\nSET SESSION foreign_key_checks = 0;\n");
    for (const Table& t : tables) {
      const std::string live =
          absl::StrCat(QuoteIdentifier(t.schema), ".", QuoteIdentifier(t.name));
      absl::StrAppend(&script, "DROP TABLE IF EXISTS ", live, ";\nRENAME TABLE ",
                      QuoteIdentifier(parked[t.schema]), ".", QuoteIdentifier(t.name), " TO ", live,
                      ";\n");
    }
    absl::StrAppend(&script, post);
    for (const auto& [schema, park] : parked) {
      absl::StrAppend(&script, "DROP DATABASE IF EXISTS ", QuoteIdentifier(park), ";\n");
    }
  }
  ASSIGN_OR_RETURN(AccountExport accounts, ExportAccounts(*session, params.accounts));
  absl::StrAppend(&script, accounts.sql, "-- mmresync backup complete\n");
  RETURN_IF_ERROR(WriteFileAtomically(path, script, 0600));

  // Park: the triggers (kept in the script), then every table in one atomic RENAME.
  if (!tables.empty()) {
    for (const auto& [schema, park] : parked) {
      RETURN_IF_ERROR(session->Execute(absl::StrCat("CREATE DATABASE ", QuoteIdentifier(park))));
    }
    for (const auto& [schema, trigger] : triggers) {
      RETURN_IF_ERROR(session->Execute(DropTriggerStatement(schema, trigger)));
    }
    std::vector<TableMove> moves;
    for (const Table& t : tables) moves.push_back({t.schema, t.name, parked[t.schema]});
    if (absl::Status s = session->Execute(ParkTablesStatement(moves)); !s.ok()) {
      // Nothing moved (one atomic RENAME), so there is no backup: without the file the
      // import refuses. The triggers dropped above are in the script, kept aside.
      const std::string kept = path + ".failed";
      (void)::rename(path.c_str(), kept.c_str());
      return Annotate(s, absl::StrCat("parking the tables (nothing was moved; their triggers ",
                                      "were dropped first: re-create them from ", kept, ")"));
    }
  }

  Sha256 sha;
  sha.Update(script);
  v1::BackupReply reply;
  reply.set_path(path);
  reply.set_bytes(script.size());
  reply.set_sha256(sha.HexDigest());
  v1::Progress p;
  p.set_phase("backup");
  p.set_message(absl::StrCat("parked ", tables.size(), " table(s) of ", schemas.size(),
                             " schema(s); restore script ", path));
  params.progress(p);
  return reply;
}

}  // namespace mmresync::agent
