#pragma once

// Per-table checksums and row counts of every user table, for `mmresync verify`.
// CHECKSUM TABLE, except for tables with VIRTUAL generated columns: MariaDB 10.11's
// CHECKSUM TABLE reads their uncomputed values, so the same rows gave another sum after
// FLUSH TABLES. Those are summed in SQL over their stored columns instead: per row the
// first 60 bits of a SHA-256 over each value's bytes (NULL marked, FLOAT as DOUBLE), added
// up modulo 2^64 (a sum, not a XOR: two equal rows do not cancel out).

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

absl::StatusOr<v1::ChecksumReply> ComputeTableChecksums(DbSession& session);

// (schema, table) -> the expressions summed for each of its stored columns.
using VirtualColumnTables = std::map<std::pair<std::string, std::string>, std::vector<std::string>>;
// Every table that has a VIRTUAL column.
absl::StatusOr<VirtualColumnTables> TablesWithVirtualColumns(DbSession& session);
// One table's checksum as text (nullopt: NULL), CHECKSUM TABLE or the stored-columns sum.
absl::StatusOr<std::optional<std::string>> TableChecksum(DbSession& session,
                                                         const VirtualColumnTables& with_virtual,
                                                         const std::string& schema,
                                                         const std::string& table);

}  // namespace mmresync::agent
