#pragma once

// Replication and server-state changes as typed operations. SQL is built here from
// validated values only; the text shown to humans (plan, logs) comes from the same
// builders with the password masked.

#include <string>

#include "absl/status/status.h"
#include "agent/db_session.h"

namespace mmresync::agent {

struct ChangeMasterTarget {
  std::string host;
  uint32_t port = 3306;
  std::string user;
  std::string password;  // never logged; masked in DescribeChangeMaster
  std::string log_file;
  uint64_t log_pos = 0;
  // "no" (or empty): file/position. "slave_pos" | "current_pos": @@gtid_slave_pos is set
  // to gtid_slave_pos first and the server finds the position itself (file/position unused).
  std::string use_gtid;
  std::string gtid_slave_pos;
};

// Whether `target` replicates by GTID (use_gtid slave_pos or current_pos).
bool UsesGtid(const ChangeMasterTarget& target);

// Validates every field (host, port, user, mode, and file + position or the GTID list).
absl::Status ValidateChangeMaster(const ChangeMasterTarget& target);

// "CHANGE MASTER TO MASTER_HOST='…', …, MASTER_PASSWORD='***', …" for plans and logs
// (preceded by "SET GLOBAL gtid_slave_pos = '…'; " in GTID mode).
std::string DescribeChangeMaster(const ChangeMasterTarget& target);

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
