#pragma once

// The backups earlier runs left on this node, for `mmresync backups list|restore|prune`:
//   <state_dir>/backups/<run>.sql         the restore script of a park or dump backup
//   mmr_park_* schemas                    the parked tables a park script moves back
//   <datadir>.mmresync-<run>              the old datadir a physical re-seed kept
//   <state_dir>/backups/<run>.delta/      what a delta repair replaced (delta_backup.h):
//                                         listed, restored by hand (its restore.sql)
// Only park and dump backups are restored and pruned here; the others are listed.
// Run ids come from file names and are validated like any run id; nothing here takes a
// path or SQL from the caller. Thread-compatible; the service serialises destructive use
// through its OperationSlot.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// Oldest first. `session` may be null (database down): parked schemas and old datadirs
// are then not looked up.
absl::StatusOr<std::vector<v1::BackupInfo>> ListBackups(const std::string& state_dir,
                                                        DbSession* session);

// Why `backups restore` does not run delta backup `run_id` (at `path`), and what to do.
std::string DeltaRestoreRefusal(const std::string& run_id, const std::string& path);

// The parked schemas a park restore script names ("-- `s` is parked in `mmr_park_..`").
std::vector<std::string> ParkedSchemasOf(const std::string& script);

// Runs backup `run_id`'s restore script through `client_command` with sql_log_bin=0
// (nothing replicates), stopping at the first SQL error. The caller checked the node.
// A delta backup is refused (FailedPrecondition, nothing run): it is restored by hand.
absl::Status RestoreBackup(const std::string& state_dir, const std::string& client_command,
                           const DbConnectParams& connect, const std::string& run_id);

// Removes all but the newest `keep` park/dump backups: their parked schemas (DROP
// DATABASE, sql_log_bin=0) and then their script. Old physical datadirs and delta
// backups are left alone (listed only). Returns the run ids removed.
absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& state_dir,
                                                      DbSession& session, size_t keep);

}  // namespace mmresync::agent
