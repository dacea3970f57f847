#pragma once

// Per-table checksums and row counts of every user table, for `mmresync verify`.

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

absl::StatusOr<v1::ChecksumReply> ComputeTableChecksums(DbSession& session);

}  // namespace mmresync::agent
