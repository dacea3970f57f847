#pragma once

// The argv of the client tools an agent runs (mariadb-dump, mariadb, mariadb-backup,
// mbstream), built in one place: the agent runs them, and the coordinator's `plan`
// prints them with placeholders for what only the agent knows (its 0600 defaults file,
// its datadir). Passwords never appear in an argv: they reach the tools through the
// defaults file.

#include <cstdint>
#include <string>
#include <vector>

namespace mmresync {

// The physical method's tools as the agent runs them (found on its PATH).
inline constexpr char kMariadbBackupCommand[] = "mariadb-backup";
inline constexpr char kMbstreamCommand[] = "mbstream";

enum class SnapshotMode {
  // All-InnoDB: one consistent transaction; MariaDB's binlog_snapshot_* status gives the
  // matching coordinates, so no global lock is taken at all.
  kSingleTransaction,
  // Non-transactional tables present: a global read lock for the whole dump.
  kGlobalReadLock,
};

// What a mariadb-dump run writes.
enum class DumpContent {
  kEverything,      // schemas, data, routines, events, triggers (the dump method, backups)
  kSchemaPreData,   // CREATE DATABASE/TABLE/VIEW and routines: what table data needs first
  kSchemaPostData,  // triggers and events: after the data, so they never fire on the load
};

struct DumpSpec {
  std::string dump_command;   // mariadb-dump or mysqldump
  std::string defaults_file;  // --defaults-file (first argument)
  std::vector<std::string> schemas;
  SnapshotMode mode = SnapshotMode::kSingleTransaction;
  bool with_coordinates = true;  // --master-data=2
  // Schema-only contents take no lock of their own: the logical method runs them while
  // it holds BACKUP STAGE BLOCK_DDL, and mode/with_coordinates are ignored.
  DumpContent content = DumpContent::kEverything;
};

std::vector<std::string> DumpArgv(const DumpSpec& spec);

// The mariadb client importing SQL from its stdin into the local server, with
// sql_log_bin=0 (nothing of the import reaches the binlog) and without --force (the
// first SQL error stops it).
std::vector<std::string> ImportArgv(const std::string& client_command,
                                    const std::string& defaults_file);

// How often mariadb-backup's redo copier looks for new redo, in ms (its default: 1000).
// At the end of a backup the source's commits stay blocked (BACKUP STAGE BLOCK_COMMIT)
// until the copier's next look: with a writer on the source, the default held commits
// ~0.93 s and made each backup ~1.5 s longer than 100 ms did (measured on 10.11).
inline constexpr int kBackupLogCopyIntervalMs = 100;

// mariadb-backup --backup streaming mbstream to stdout (the physical method's source).
std::vector<std::string> BackupArgv(const std::string& backup_command,
                                    const std::string& defaults_file, uint32_t parallel,
                                    const std::string& target_dir, const std::string& datadir);
// mariadb-backup --prepare of an extracted copy (the physical method's target).
std::vector<std::string> PrepareArgv(const std::string& backup_command, const std::string& dir);
// mbstream extracting its stdin into `dir` with ExtractParallel(parallel) threads.
std::vector<std::string> ExtractArgv(const std::string& mbstream_command, uint32_t parallel,
                                     const std::string& dir);
// mbstream's threads for a backup streamed with --parallel=backup_parallel: at least two,
// even on one core, because a single mbstream thread reads the stream and writes every
// file itself and throttles the whole pipe (1.3 GB extracted in 3.3-5.3 s with one, 1.8-2.6 s
// with two or four on a 2-core host, measured on 10.11).
uint32_t ExtractParallel(uint32_t backup_parallel);

// An argv as one line for plans and logs; an argument a shell would split or expand is
// single-quoted.
std::string ArgvText(const std::vector<std::string>& argv);

}  // namespace mmresync
