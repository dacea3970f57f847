#pragma once

// The backups earlier runs left on this node, for `mmresync backups list|restore|prune`:
//   <state_dir>/backups/<run>.sql         the restore script of a park or dump backup
//   mmr_park_* schemas                    the parked tables a park script moves back
//   <datadir>.mmresync-<run>              the old datadir a physical re-seed kept
//   <state_dir>/backups/<run>.delta/      what a delta repair replaced (delta_backup.h),
//                                         restored by delta_restore.h
// Park, dump and delta backups are restored here; only park and dump ones are pruned;
// old datadirs are listed.
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

// The parked schemas a park restore script names ("-- `s` is parked in `mmr_park_..`").
std::vector<std::string> ParkedSchemasOf(const std::string& script);

// Runs backup `run_id`'s restore script through `client_command` with sql_log_bin=0
// (nothing replicates), stopping at the first SQL error; a delta backup through
// RestoreDeltaBackup. The caller checked the node.
absl::Status RestoreBackup(const std::string& state_dir, const std::string& client_command,
                           const DbConnectParams& connect, const std::string& run_id);

// Removes all but the newest `keep` park/dump backups: their parked schemas (DROP
// DATABASE, sql_log_bin=0) and then their script. Old physical datadirs and delta
// backups are left alone (listed only). Returns the run ids removed.
absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& state_dir,
                                                      DbSession& session, size_t keep);

}  // namespace mmresync::agent
