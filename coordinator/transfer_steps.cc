#include "coordinator/transfer_steps.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/compression.h"
#include "common/delta_sizing.h"
#include "common/physical_layout.h"
#include "common/random_id.h"
#include "common/replication_sql.h"
#include "common/reseed_sql.h"
#include "common/status_macros.h"
#include "common/tool_argv.h"
#include "coordinator/agent_requests.h"

namespace mmresync::coordinator {
namespace {

// "1.1 GiB read on the source, 412 MiB over the link (zstd auto 2.7x)".
std::string LinkSummary(const v1::ImportResult& r) {
  const std::string compression = CompressionText(r.compression(), r.bytes(), r.wire_bytes());
  return absl::StrCat(HumanBytes(r.bytes()), " streamed, ", HumanBytes(r.wire_bytes()),
                      " over the link", compression.empty() ? "" : " (", compression,
                      compression.empty() ? "" : ")");
}

absl::StatusOr<std::string> NewToken() { return RandomHex(32); }

// "method delta: 3 table(s) compared, 41 chunk(s) compared, 4 differing, 4 row(s)
// moved (3 deleted), ...".
std::string DeltaSummary(const v1::DeltaStats& d) {
  return absl::StrCat(
      "method delta: ", d.tables_compared(), " table(s) compared, ", d.chunks_compared(),
      " chunk(s) compared, ", d.chunks_differing(), " differing, ", d.rows_moved(),
      " row(s) moved (", d.rows_deleted(), " deleted), ", d.tables_copied(),
      " table(s) copied whole, ", d.tables_dropped(), " dropped, ", d.objects_replaced(),
      " view(s), routine(s) and account(s) replaced; read ", HumanBytes(d.source_bytes_read()),
      " on the source, ", HumanBytes(d.target_bytes_read()), " on the target; ",
      HumanBytes(d.bytes_moved()), " moved; backup of what changed: ", d.backup_dir());
}

// What only the agent knows, as the plan names it: the 0600 client defaults file it
// writes for each run (the password reaches the tools only through it).
constexpr char kDefaultsFile[] = "<0600-defaults-file>";

// mariadb-dump as the agent runs it (DumpArgv), with agent.toml's default dump_command.
std::string DumpText(const std::vector<std::string>& schemas, DumpContent content,
                     bool with_coordinates) {
  DumpSpec spec;
  spec.dump_command = MariadbSettings().dump_command;
  spec.defaults_file = kDefaultsFile;
  spec.schemas = schemas;
  spec.content = content;
  spec.with_coordinates = with_coordinates;
  return ArgvText(DumpArgv(spec));
}

std::vector<std::string> SchemaNames(const absl::StatusOr<v1::NodeStatus>& status) {
  std::vector<std::string> names;
  if (!status.ok()) return names;
  for (const auto& s : status->schemas()) names.push_back(s.name());
  return names;
}

// "a b c", or "(none)".
std::string ListText(const std::vector<std::string>& v) {
  return v.empty() ? std::string("(none)") : absl::StrJoin(v, " ");
}

// What the agent's DropUserSchemas runs for `schemas` (the target's, as discovered).
std::string DropSchemasText(const std::vector<std::string>& schemas) {
  if (schemas.empty()) return "no user schema to drop";
  std::vector<std::string> sql = {std::string(kBinlogOffStatement)};
  for (const std::string& schema : schemas) sql.push_back(DropSchemaStatement(schema));
  return JoinStatements(sql);
}

// The park backup's statements (ParkUserData), with placeholders for the names it finds.
std::string ParkText() {
  return absl::StrCat(
      kBinlogOffStatement, "; ", DropTriggerStatement("<schema>", "<trigger>"),
      " for each trigger (its definition is in the script); ",
      ParkTablesStatement(
          {{"<schema>", "<table>", absl::StrCat(kParkedSchemaPrefix, "<run digest>_<n>")}}),
      ", … (every user table in one statement; no copy)");
}

// A loader connection's settings, then one table part's LOAD DATA (logical and delta).
std::string LoadText() {
  return absl::StrCat(JoinStatements(LoaderSessionStatements()), "; per table part: ",
                      LoadDataStatement("<schema>", "<table>", {"<columns>"}, {}));
}

// The logical method's snapshot session on the source (transfer_source.cc), with the
// schema dumps it takes under BLOCK_DDL.
std::string SnapshotSessionText(const std::vector<std::string>& schemas) {
  return absl::StrCat(kBackupStageStart, "; ", kBackupStageBlockDdl, "; ",
                      DumpText(schemas, DumpContent::kSchemaPreData, false), "; ",
                      DumpText(schemas, DumpContent::kSchemaPostData, false), "; ",
                      kBackupStageBlockCommit, "; accounts; ", kConsistentSnapshotStatement,
                      " on each worker (same binlog_snapshot_file/position); ", kBackupStageEnd);
}

}  // namespace

std::optional<Step> BackupTargetStep(const PlanInputs& in) {
  const NodeEntry& T = in.view.nodes[in.roles.target].entry;
  const std::vector<std::string> target_schemas =
      SchemaNames(in.view.nodes[in.roles.target].status);
  // Physical: the target's old datadir is renamed aside at the swap and is the backup;
  // the import records its path, so there is no separate backup pass.
  // Delta: the import saves what it replaces or drops (and only that) as it goes; a
  // park here would move every table aside and leave nothing to compare.
  if (!in.options.skip_backup && in.method.expected != "physical" &&
      in.method.expected != "delta") {
    const std::string mode = in.options.backup;
    std::vector<std::string> actions;
    if (mode == "dump") {
      actions.push_back(
          absl::StrCat(T.name, ": ", DumpText(target_schemas, DumpContent::kEverything, false),
                       " + SHOW CREATE USER/SHOW GRANTS > <state_dir>/backups/<run>.sql"));
    } else {
      actions.push_back(
          absl::StrCat(T.name,
                       ": restore script <state_dir>/backups/<run>.sql written and fsynced first "
                       "(schema: ",
                       DumpText(target_schemas, DumpContent::kSchemaPreData, false), " and ",
                       DumpText(target_schemas, DumpContent::kSchemaPostData, false),
                       "; accounts; the moves back)"));
      actions.push_back(absl::StrCat(T.name, ": check the fence; ", ParkText()));
    }
    Step backup{"backup-target",
                mode == "dump" ? "backup target" : "backup target (park)",
                T.name,
                actions,
                false,
                [mode](RunContext& ctx) -> absl::Status {
                  StepInfo step = ctx.current;
                  ASSIGN_OR_RETURN(v1::Progress last,
                                   ctx.target->Backup(ctx.run_id, mode, [&](const v1::Progress& p) {
                                     ctx.sink->StepProgress(step, p);
                                   }));
                  ctx.records["backup_path"] = last.backup().path();
                  ctx.records["backup_mode"] = mode;
                  ctx.Note(absl::StrCat(
                      mode == "park" ? "tables parked; restore script " : "backup ",
                      last.backup().path(), " (", HumanBytes(last.backup().bytes()), ")"));
                  // Retention (agent.backups_keep): what was pruned, or why not.
                  if (!last.message().empty()) ctx.Note(last.message());
                  return absl::OkStatus();
                }};
    backup.effect = StepEffect::kBacksUpTarget;
    return backup;
  }
  return std::nullopt;
}

Step StreamImportStep(const PlanInputs& in) {
  const NodeEntry& S = in.view.nodes[in.roles.source].entry;
  const NodeEntry& T = in.view.nodes[in.roles.target].entry;
  const std::vector<std::string> source_schemas =
      SchemaNames(in.view.nodes[in.roles.source].status);
  const std::vector<std::string> target_schemas =
      SchemaNames(in.view.nodes[in.roles.target].status);
  const uint64_t source_bytes = in.view.nodes[in.roles.source].status.ok()
                                    ? UserDataBytes(*in.view.nodes[in.roles.source].status)
                                    : 0;
  const MethodChoice method = in.method;
  const v1::ImportRequest request = ImportRequestFor({.source_agent = S.agent,
                                                      .source_node = S.name,
                                                      .expected_bytes = source_bytes,
                                                      .backup_skipped = in.options.skip_backup,
                                                      .method = method.method,
                                                      .workers = in.options.workers,
                                                      .compression = in.options.compression});
  const uint32_t workers = request.workers();
  // A flag that passed main's check; the text again only for the plan's words.
  const std::string compression_text =
      DescribeCompression(ParseCompression(request.compression()).value_or(kCompressionAuto));
  std::vector<std::string> transfer_actions;
  const std::string new_dir = PhysicalNewDir("<datadir>", "<run>");
  const std::string workers_text = workers == 0
                                       ? std::string("workers from the cores of both hosts")
                                       : absl::StrCat(workers, " workers");
  transfer_actions.push_back(MethodLine(method));
  if (method.expected == "physical") {
    transfer_actions.push_back(absl::StrCat(
        T.name, ": check: [mariadb.service] control, same MariaDB major.minor as ", S.name,
        ", self-contained datadir, free disk for a second copy, its agent account identical on ",
        S.name));
    std::vector<std::string> backup_argv =
        BackupArgv(kMariadbBackupCommand, kDefaultsFile, workers, "<state_dir>/physical-<session>",
                   "<datadir>");
    std::vector<std::string> extract_argv = ExtractArgv(kMbstreamCommand, workers, new_dir);
    // --parallel=<cores>: the agent's own count when --workers is not given.
    for (auto* argv : {&backup_argv, &extract_argv}) {
      for (std::string& arg : *argv) {
        if (workers == 0 && absl::StartsWith(arg, "--parallel=")) arg = "--parallel=<cores>";
      }
    }
    transfer_actions.push_back(absl::StrCat(S.name, ": ", ArgvText(backup_argv), "  (~",
                                            HumanBytes(source_bytes),
                                            " of user data; its own BACKUP STAGE locks, "
                                            "BLOCK_COMMIT reported)"));
    transfer_actions.push_back(absl::StrCat(S.name, " → ", T.name,
                                            ": transfer session, one BACKUP_STREAM part, mutual "
                                            "TLS, one-time token, XXH3-128 checksum, "
                                            "compression ",
                                            compression_text));
    transfer_actions.push_back(absl::StrCat(T.name, ": ", ArgvText(extract_argv),
                                            " < stream  (the old mariadbd keeps running, fenced)"));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": ", ArgvText(PrepareArgv(kMariadbBackupCommand, new_dir)),
                     "; snapshot from xtrabackup_binlog_info; drop master.info, "
                     "relay-log.info, relay logs"));
    transfer_actions.push_back(absl::StrCat(
        T.name,
        ": write <state_dir>/physical-swap.pb; re-check the fence; stop mariadbd "
        "([mariadb.service]); mv <datadir> ",
        PhysicalBackupDir("<datadir>", "<run>"), "  (the backup); mv ", new_dir, " <datadir>"));
    transfer_actions.push_back(absl::StrCat(T.name, ": start mariadbd (", kMariadbdOptionsEnv, "=",
                                            kMariadbdSwapOptions, " for command control); ",
                                            SetReadOnlyStatement(true), "; restore ", T.name,
                                            "'s own agent and replication accounts"));
  } else if (method.expected == "delta") {
    transfer_actions.push_back(absl::StrCat(
        S.name, ": the logical method's snapshot session (", kBackupStageStart, "; ",
        kBackupStageBlockDdl, "; SHOW CREATE TABLE of every table of ", ListText(source_schemas),
        ", SHOW CREATE of every view and routine; ", kBackupStageBlockCommit, "; ",
        kConsistentSnapshotStatement, "; ", kBackupStageEnd, ")"));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": refuse unless its user schemas equal ", S.name,
                     "'s (nothing changed; use --method logical); compare its views and routines "
                     "with ",
                     S.name, "'s by definition and settings"));
    transfer_actions.push_back(absl::StrCat(
        "compare: every table of both nodes with the same definition and a primary key (or a "
        "NOT NULL unique key), ~",
        HumanBytes(source_bytes), " read on each node, in parallel, ",
        workers == 0 ? std::string("tables 2 x <cores> (4-8)")
                     : absl::StrCat("tables ", CompareLanes(workers, 0)),
        " at a time: SHA-256 per chunk of up to ", kDeltaChunkRows, " rows or ",
        HumanBytes(kDeltaChunkBytes),
        ", differing chunks bisected down to single rows; only digests cross the link"));
    transfer_actions.push_back(absl::StrCat(
        T.name,
        ": re-check the fence; save what changes (rows of differing ranges, tables dropped or "
        "re-created, views and routines replaced, triggers and events) zstd-compressed in "
        "<state_dir>/backups/<run>.delta/"));
    transfer_actions.push_back(absl::StrCat(
        T.name, ": ", kBinlogOffStatement, "; ", DropTriggerStatement("<schema>", "<trigger>"),
        "; ", DropEventStatement("<schema>", "<event>"),
        " (each); drop its views and routines that differ; ", LoadText(),
        "; per table one transaction: START TRANSACTION; ",
        DeleteRangesStatement("<schema>", "<table>", "<differing key ranges>"), "; LOAD DATA of ",
        S.name, "'s rows in them; COMMIT; tables only on ", S.name,
        ", with another definition or without a usable key: re-created and copied whole; "
        "tables only on ",
        T.name, ": dropped; then ", S.name,
        "'s routines and views that differed, triggers, events; accounts and roles that differ "
        "(DROP USER/ROLE, then ",
        S.name,
        "'s CREATE ROLE, CREATE USER, GRANT; never either agent's or replication "
        "account)"));
  } else if (method.expected == "logical") {
    transfer_actions.push_back(absl::StrCat(S.name, ": ", SnapshotSessionText(source_schemas)));
    transfer_actions.push_back(absl::StrCat(
        S.name, " → ", T.name, ": transfer session, one stream per table part (", workers_text,
        "), mutual TLS, one-time token, XXH3-128 checksum and row count per part, compression ",
        compression_text, "  (~", HumanBytes(source_bytes), ")"));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": re-check the fence, then ", DropSchemasText(target_schemas)));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": schema via ",
                     ArgvText(ImportArgv(MariadbSettings().client_command, kDefaultsFile)), "; ",
                     LoadText(), " from the stream; then triggers, events, accounts"));
    if (method.method == "auto") {
      transfer_actions.push_back(
          "if the source finds tables it cannot snapshot exactly (sequences, system-versioned): "
          "method dump instead, before anything is dropped");
    }
  } else {
    transfer_actions.push_back(absl::StrCat(
        S.name, ": ", DumpText(source_schemas, DumpContent::kEverything, true), "  (~",
        HumanBytes(source_bytes),
        "; --lock-all-tables instead of --single-transaction when it has non-InnoDB tables)"));
    if (in.view.nodes[in.roles.source].status.ok()) {
      const std::string lock_line =
          NonTransactionalLockLine(*in.view.nodes[in.roles.source].status, source_bytes);
      if (!lock_line.empty()) transfer_actions.push_back(lock_line);
    }
    transfer_actions.push_back(
        absl::StrCat(S.name, " → ", T.name,
                     ": agent-to-agent stream, mutual TLS, one-time token, SHA-256 checked"));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": after the first bytes arrive: ", DropSchemasText(target_schemas)));
    transfer_actions.push_back(absl::StrCat(
        T.name, ": ", ArgvText(ImportArgv(MariadbSettings().client_command, kDefaultsFile)),
        " < stream  (no --force)"));
  }
  transfer_actions.push_back(absl::StrCat(T.name, method.expected == "physical"
                                                      ? ": ALTER EVENT … DISABLE ON SLAVE"
                                                      : ": replay accounts; ALTER EVENT … "
                                                        "DISABLE ON SLAVE"));
  Step import(
      {"stream-import", "snapshot+stream+import", absl::StrCat(S.name, " → ", T.name),
       transfer_actions, false, [request](RunContext& ctx) -> absl::Status {
         ASSIGN_OR_RETURN(std::string token, NewToken());
         RETURN_IF_ERROR(
             ctx.source->AuthorizeTransfer(ctx.run_id, token, ctx.target->node().name).status());
         StepInfo step = ctx.current;
         ASSIGN_OR_RETURN(
             v1::Progress last,
             ctx.target->Import(ImportRequestForRun(request, ctx.run_id, token),
                                [&](const v1::Progress& p) { ctx.sink->StepProgress(step, p); }));
         const v1::ImportResult& r = last.result();
         if (r.source_snapshot().file().empty()) {
           return absl::DataLossError("import finished without the snapshot's coordinates");
         }
         ctx.records["snapshot_file"] = r.source_snapshot().file();
         ctx.records["snapshot_pos"] = absl::StrCat(r.source_snapshot().position());
         ctx.records["snapshot_gtid"] = r.source_snapshot().gtid();
         ctx.records["bytes"] = absl::StrCat(r.bytes());
         ctx.records["sha256"] = r.sha256();
         ctx.records["source_lock_ms"] = absl::StrCat(r.source_lock_ms());
         ctx.records["method"] = r.method();
         if (r.method() == "physical") {
           ctx.records["backup_path"] = r.backup_path();
           ctx.Note(absl::StrCat("method physical: mariadb-backup --parallel=", r.workers(),
                                 "; commits on the source blocked ", r.source_lock_ms(),
                                 " ms (BACKUP STAGE BLOCK_COMMIT); old datadir kept as ",
                                 r.backup_path()));
         }
         if (!r.fallback_reason().empty()) {
           ctx.Note(absl::StrCat("method dump instead of logical: ", r.fallback_reason()));
         }
         if (r.method() == "logical") {
           ctx.Note(absl::StrCat("method logical: ", r.tables(), " table(s), ", r.rows(),
                                 " row(s) with ", r.workers(),
                                 " worker(s); commits on the "
                                 "source waited ",
                                 r.source_lock_ms(), " ms for the snapshot"));
         }
         if (r.method() == "delta") ctx.Note(DeltaSummary(r.delta()));
         if (r.method() != "dump") ctx.Note(LinkSummary(r));
         ctx.Note(absl::StrCat(
             HumanBytes(r.bytes()), ", ", r.schemas(), " schema(s), ",
             r.method() == "physical" ? std::string("the whole datadir (accounts included), ")
                                      : absl::StrCat(r.accounts(), " account(s), "),
             r.events_disabled(), " event(s) disabled on the replica, snapshot at ",
             r.source_snapshot().file(), ":", r.source_snapshot().position(),
             r.source_snapshot().gtid().empty()
                 ? ""
                 : absl::StrCat(" (GTID ", r.source_snapshot().gtid(), ")")));
         if (r.global_read_lock_used()) {
           ctx.Note(
               absl::StrCat("non-transactional tables: the source held a global read lock "
                            "for ",
                            r.source_lock_ms(), " ms"));
         }
         return absl::OkStatus();
       }});
  import.effect = StepEffect::kReplacesData;
  return import;
}

}  // namespace mmresync::coordinator
