#pragma once

// mariadb-dump as a child process (no shell), read in chunks. The password reaches it
// only through the 0600 defaults file.

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "agent/dump_scanner.h"
#include "common/subprocess.h"

namespace mmresync::agent {

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

// A schema-only mariadb-dump (kSchemaPreData or kSchemaPostData) of `schemas`, read whole
// into memory (refused above `max_bytes`), its footer checked. The password reaches it
// through a 0600 defaults file in `state_dir`.
absl::StatusOr<std::string> DumpSchemaText(const std::string& dump_command,
                                           const std::string& state_dir,
                                           const DbConnectParams& connect,
                                           const std::vector<std::string>& schemas,
                                           DumpContent content, size_t max_bytes);

class DumpProcess {
 public:
  absl::Status Start(const DumpSpec& spec);
  // The next piece of output (at most `max` bytes); empty at the end.
  absl::StatusOr<std::string> Read(size_t max);
  // Waits for the exit; an error quoting mariadb-dump's stderr unless it exited 0.
  absl::Status Finish();
  void Abort();
  const DumpScanner& scanner() const { return scanner_; }
  pid_t pid() const { return child_.pid(); }

 private:
  Subprocess child_;
  DumpScanner scanner_;
};

// The mariadb client importing SQL from its stdin into the local server, with
// sql_log_bin=0 (nothing of the import reaches the binlog) and without --force (the
// first SQL error stops it).
std::vector<std::string> ImportArgv(const std::string& client_command,
                                    const std::string& defaults_file);

class ImportProcess {
 public:
  absl::Status Start(const std::string& client_command, const std::string& defaults_file);
  absl::Status Write(absl::string_view sql);
  // Closes stdin and waits; an error quoting the client's stderr unless it exited 0.
  absl::Status Finish();
  void Abort();

 private:
  absl::Status ExitError(int code);
  Subprocess child_;
};

}  // namespace mmresync::agent
