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
};

// Validates every field (host, port, user, file, position).
absl::Status ValidateChangeMaster(const ChangeMasterTarget& target);

// "CHANGE MASTER TO MASTER_HOST='…', …, MASTER_PASSWORD='***', …" for plans and logs.
std::string DescribeChangeMaster(const ChangeMasterTarget& target);

absl::Status StopReplica(DbSession& session, bool reset);
absl::Status StartReplica(DbSession& session);
absl::Status ChangeMaster(DbSession& session, const ChangeMasterTarget& target);
absl::Status SetReadOnly(DbSession& session, bool read_only);

}  // namespace mmresync::agent
