#pragma once

// The target side of the delta method. It fits the logical method's transfer session:
// the source opens the same consistent snapshot (coordinates Q) with the same parts,
// and adds each table's definition, a digest of its views and routines, DigestChunks
// and FetchPart by key ranges. The target is fenced with replication stopped, so it
// does not change while it is compared. In order:
//   1. Compare (read-only on both sides). The user schemas must be the same, else
//      nothing is changed and the operator is told to use the logical method. The views
//      and routines are compared one by one (object_definitions.h). Each table of the
//      source's is then
//        compared   when the target has it with the same definition (SHOW CREATE TABLE
//                   without AUTO_INCREMENT=n) and a usable key (key_range.h): chunk
//                   digests, bisection (delta_compare.h);
//        copied     otherwise (only on the source, definition differs, no usable key):
//                   re-created from the source's definition and loaded like the logical
//                   method loads a table;
//      and a table only the target has is dropped.
//   2. Apply, after the fence is checked again: every change is saved first
//      (delta_backup.h); the target's triggers and events are dropped (none fires on
//      the repair); so are its views and routines that differ from the source's or that
//      the source does not have; per compared table one transaction deletes the differing ranges
//      and loads the source's rows of them (sql_log_bin=0, unique checks on, the rows loaded must
//      equal the rows sent, no warning); copied and dropped tables; the source's routines and views
//      that differ; then the source's triggers and events (the logical method's POST_SQL
//      part, replayed as it does), events DISABLE ON SLAVE; then the accounts and roles
//      that differ (delta_accounts.h; from an older source that does not list them, its
//      ACCOUNTS_SQL part is replayed as the logical method does).
// The views, routines and accounts are read again at the end: any that still differ
// fail the run.
// Afterwards the target's rows equal the source's at Q, and replication starts at Q as
// after a re-seed. A failure part way leaves the target fenced; running the repair
// again (recover --resume) compares again and finishes it.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "agent/accounts.h"
#include "agent/logical_import.h"
#include "common/delta_sizing.h"

namespace mmresync::agent {

struct DeltaImportParams {
  LogicalImportParams logical;  // base (db, fence, progress, ...), loaders
  std::string run_id;
  std::string dump_command;  // the target's own triggers and events, for the backup
  AccountFilter accounts;    // this node's: the accounts it never compares nor changes
  // The first cut of a table (common/delta_sizing.h); a differing chunk is then bisected
  // down to leaf_rows in log2(chunk_rows) rounds of small reads.
  uint64_t chunk_rows = kDeltaChunkRows;
  uint64_t chunk_bytes = kDeltaChunkBytes;
  uint64_t leaf_rows = 1;
};

absl::StatusOr<v1::ImportResult> ImportDelta(const DeltaImportParams& params, TransferPeer& peer,
                                             const v1::BeginTransferReply& manifest);

}  // namespace mmresync::agent
