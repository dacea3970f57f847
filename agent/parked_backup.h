#pragma once

// The standby backup that costs no copy: the target's user tables are *parked*, moved
// by one atomic RENAME TABLE into schemas named `mmr_park_<run tag>_<n>` (metadata only,
// whatever the data size), before the re-seed drops what is left of its user schemas.
// Nothing of it is binlogged (sql_log_bin=0), parked schemas are never user data (not
// dumped, copied, dropped, checksummed or counted), and they stay until pruned.
//
// The backup file (BackupPath, what the import checks for) is the restore script, written
// and fsynced before anything moves: drop the re-seeded schemas, re-create the old ones
// from their pre-data schema dump, swap each parked table back in, triggers and events,
// drop the parking schemas, the old accounts. On a fenced node:
//   mariadb --init-command='SET sql_log_bin=0' < <state_dir>/backups/<run>.sql
//
// The triggers of the parked tables are dropped first (MariaDB refuses to move a table
// with triggers to another schema); they are in the script.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/local_backup.h"
#include "common/reseed_sql.h"

namespace mmresync::agent {

using mmresync::kParkedSchemaPrefix;

// "mmr_park_<8 hex of the run id's hash>_<index>": short enough for any schema name.
std::string ParkedSchemaName(absl::string_view run_id, int index);

absl::StatusOr<v1::BackupReply> ParkUserData(const BackupParams& params);

}  // namespace mmresync::agent
