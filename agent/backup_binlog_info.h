#pragma once

// The source's binlog coordinates at the point a mariadb-backup copy is consistent, as
// mariadb-backup records them in the backup: `xtrabackup_binlog_info` (10.11) or
// `mariadb_backup_binlog_info` (11.1+), one line "<file>\t<position>[\t<gtid list>]".
// They are the physical method's snapshot coordinates (phase 1 points the target's
// replica at them), so they are validated as strictly as a ChangeMaster request.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

inline constexpr char kBinlogInfoFile[] = "xtrabackup_binlog_info";
inline constexpr char kBinlogInfoFileNew[] = "mariadb_backup_binlog_info";

// DATA_LOSS for an empty, truncated or malformed file (a backup without usable
// coordinates cannot seed a replica).
absl::StatusOr<v1::BinlogCoordinates> ParseBackupBinlogInfo(absl::string_view text);

// Reads whichever of the two files the prepared backup in `dir` has (the 11.1+ name
// first). FAILED_PRECONDITION when neither exists: the source ran without a binary log.
absl::StatusOr<v1::BinlogCoordinates> ReadBackupBinlogInfo(const std::string& dir);

}  // namespace mmresync::agent
