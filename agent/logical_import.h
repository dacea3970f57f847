#pragma once

// The target side of the logical method. With the source's manifest in hand (the
// transfer session has begun, so the source's snapshot exists):
//   1. re-check the fence on the dropping session, drop the user schemas (sql_log_bin=0);
//   2. the pre-data schema SQL through the mariadb client (routines need DELIMITER);
//   3. the tables, `workers` at a time, each one LOAD DATA LOCAL INFILE on its own
//      Connector/C session fed straight from its part's stream (no temporary file):
//      sql_log_bin=0, unique_checks=0, foreign_key_checks=0, one statement (one
//      transaction) per table into an empty table, so InnoDB's bulk path applies;
//      the rows loaded must equal the rows sent, with no warning;
//   4. triggers and events, then the accounts (as of the snapshot);
//   5. events DISABLE ON SLAVE, and the session is ended on the source.
// Every part is checked (offsets, SHA-256, trailer); the first failure stops the rest.

#include <atomic>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/peer_fetch.h"
#include "agent/stream_canceller.h"
#include "agent/target_import.h"
#include "common/reseed_sql.h"

namespace mmresync::agent {

struct LogicalImportParams {
  TargetImportParams base;
  // Opens the loader sessions (real: the agent's account with local_infile on).
  DbSessionFactory* loaders = nullptr;
  // Called immediately before the drop: the fence must still hold.
  std::function<absl::Status(DbSession&)> before_drop = [](DbSession&) { return absl::OkStatus(); };
};

absl::StatusOr<v1::ImportResult> ImportLogical(const LogicalImportParams& params,
                                               TransferPeer& peer,
                                               const v1::BeginTransferReply& manifest);

// Session settings of every loader connection (the plan prints the same).
using mmresync::LoaderSessionStatements;

// The pieces the delta import shares (delta_import.h).
//
// Progress shared by the loader threads; reported from the calling thread only (the
// gRPC writer behind `progress` is not thread-safe).
struct SharedProgress {
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> wire_bytes{0};
  std::atomic<uint64_t> rows{0};
  std::atomic<uint32_t> parts_done{0};
};
// Feeds SQL parts, one after another, into one mariadb client process.
absl::Status RunSqlParts(const LogicalImportParams& params, TransferPeer& peer,
                         const std::vector<const v1::TransferPart*>& parts,
                         StreamCanceller& canceller, SharedProgress& progress);
// One LOAD DATA LOCAL INFILE of a table part's stream (fetched whole by LoadTable) on
// `session`; the rows loaded must equal the rows the source sent, with no warning.
// Returns the rows loaded.
absl::Status LoadTable(DbSession& session, TransferPeer& peer, const v1::TransferPart& part,
                       const std::function<bool()>& stop, StreamCanceller& canceller,
                       SharedProgress& progress);
absl::StatusOr<uint64_t> LoadStream(DbSession& session, DumpStream& stream,
                                    const v1::TransferPart& part, const std::function<bool()>& stop,
                                    StreamCanceller& canceller, SharedProgress& progress);

}  // namespace mmresync::agent
