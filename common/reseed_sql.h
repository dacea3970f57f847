#pragma once

// The SQL of a re-seed besides replication's (common/replication_sql): what the target
// drops and parks, the source's snapshot session, the loader's LOAD DATA and delta's
// DELETE. Built in one place: the agent executes it, and the coordinator's `plan`
// prints it from the same builders, with placeholders ("<schema>") for the names only
// the agent learns, so the two cannot drift.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mmresync {

// `a`b` -> "`a``b`": an identifier as a statement names it.
std::string QuoteIdentifier(absl::string_view name);
// "`schema`.`table`".
std::string QualifiedName(absl::string_view schema, absl::string_view table);

// First on every session that changes the target: nothing of it reaches the binlog.
inline constexpr absl::string_view kBinlogOffStatement = "SET SESSION sql_log_bin = 0";

std::string DropSchemaStatement(absl::string_view schema);

// The park backup: the target's triggers are dropped (their definitions are in the
// restore script), then every user table moves into its schema's parking schema in one
// atomic RENAME TABLE.
std::string DropTriggerStatement(absl::string_view schema, absl::string_view trigger);
// Delta drops the target's events with its triggers (the source's are replayed after).
std::string DropEventStatement(absl::string_view schema, absl::string_view event);
struct TableMove {
  std::string schema;
  std::string table;
  std::string to_schema;  // the table keeps its name
};
std::string ParkTablesStatement(const std::vector<TableMove>& moves);
// Parking schemas are named this, then a digest of the run id and the schema's index.
inline constexpr char kParkedSchemaPrefix[] = "mmr_park_";

// The logical method's snapshot session on the source, in the order it runs them: DDL
// blocked while the schema is dumped, commits blocked while each worker opens its
// consistent snapshot at one binlog position, then everything released.
inline constexpr absl::string_view kBackupStageStart = "BACKUP STAGE START";
inline constexpr absl::string_view kBackupStageBlockDdl = "BACKUP STAGE BLOCK_DDL";
inline constexpr absl::string_view kBackupStageBlockCommit = "BACKUP STAGE BLOCK_COMMIT";
inline constexpr absl::string_view kBackupStageEnd = "BACKUP STAGE END";
inline constexpr absl::string_view kConsistentSnapshotStatement =
    "START TRANSACTION WITH CONSISTENT SNAPSHOT";

// The session settings of every connection that loads a table part (logical and delta).
const std::vector<std::string>& LoaderSessionStatements();

// LOAD DATA LOCAL INFILE of one table part in the transfer's row format. `targets`: the
// column list (names quoted or @variables); `sets`: the SET clauses, if any.
std::string LoadDataStatement(absl::string_view schema, absl::string_view table,
                              const std::vector<std::string>& targets,
                              const std::vector<std::string>& sets);

// Delta: the target's rows of the differing key ranges (`where`), before the source's
// rows of the same ranges are loaded in the same transaction.
std::string DeleteRangesStatement(absl::string_view schema, absl::string_view table,
                                  absl::string_view where);

}  // namespace mmresync
