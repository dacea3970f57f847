#pragma once

// Replication and server-state changes as typed operations. The SQL comes from
// common/replication_sql (the builders `plan` prints from, password masked) and is run
// here on validated values only.

#include <string>

#include "absl/status/status.h"
#include "agent/db_session.h"
#include "common/replication_sql.h"

namespace mmresync::agent {

// Validates every field (host, port, user, mode, and file + position or the GTID list).
absl::Status ValidateChangeMaster(const ChangeMasterTarget& target);

absl::Status StopReplica(DbSession& session, bool reset);
absl::Status StartReplica(DbSession& session);
absl::Status ChangeMaster(DbSession& session, const ChangeMasterTarget& target);

// ChangeMaster in a GTID mode with gtid_slave_pos raised, domain by domain, to this
// server's own newest GTIDs (those of @@gtid_binlog_state with its own server_id) where
// they are newer (NewestPerDomain), read just before the SET. With gtid_strict_mode MariaDB refuses
// a replica position behind the server's own binlog in a domain it wrote to (ERROR 1947); the
// server already has everything its binlog holds, so it must not ask its master for it. A commit
// that lands between the read and the SET makes the SET fail with 1947 again: read and set again,
// at most kOwnBinlogAttempts times. Returns the position set.
inline constexpr int kOwnBinlogAttempts = 20;
absl::StatusOr<std::string> ChangeMasterNotBehindOwnBinlog(DbSession& session,
                                                           ChangeMasterTarget target);
absl::Status SetReadOnly(DbSession& session, bool read_only);

}  // namespace mmresync::agent
