#pragma once

// `backups restore` of a delta repair's backup (delta_backup.h) on this node, which the
// caller checked is fenced. A resumed repair keeps one directory per attempt, each
// holding what the node had when that attempt began: they are restored newest first,
// so the oldest (the node before the first attempt) is what remains. Per attempt:
//   - when it saved the node's triggers and events, every trigger and event of the user
//     schemas replication carries is dropped first: the repair left the source's, which
//     would fire on the rows put back and collide with the old CREATEs;
//   - its files are decompressed into a private directory under state_dir, removed
//     afterwards;
//   - its restore.sql runs through the mariadb client in that directory (sql_log_bin=0,
//     the saved rows by LOAD DATA LOCAL INFILE), each `source NNNN.sql` line replaced by
//     the file's text (the client's --binary-mode turns its own commands off), stopping
//     at the first SQL error.
// Every entry undoes its change whether or not the repair got to make it (DELETE then
// load, DROP ... IF EXISTS then CREATE), so an attempt cut short restores exactly too.

#include <string>

#include "absl/status/status.h"
#include "agent/db_session.h"

namespace mmresync::agent {

absl::Status RestoreDeltaBackup(const std::string& state_dir, const std::string& client_command,
                                const DbConnectParams& connect, const std::string& backup_dir);

}  // namespace mmresync::agent
