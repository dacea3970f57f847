#pragma once

// Per-table checksums and row counts of every user table, for `mmresync verify`.
// CHECKSUM TABLE, except for tables with VIRTUAL generated columns: MariaDB 10.11's
// CHECKSUM TABLE reads their uncomputed values, so the same rows gave another sum after
// FLUSH TABLES. Those are summed in SQL over their stored columns instead: per row the
// first 60 bits of a SHA-256 over each value's bytes (NULL marked, FLOAT as DOUBLE), added
// up modulo 2^64 (a sum, not a XOR: two equal rows do not cancel out).

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

absl::StatusOr<v1::ChecksumReply> ComputeTableChecksums(DbSession& session);

}  // namespace mmresync::agent
