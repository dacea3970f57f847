#pragma once

// Compares one table between the source's snapshot (through the delta session) and the
// fenced target (`reader`: SET NAMES binary, time_zone '+00:00'): the target's keys cut
// the table into chunks of `chunk_rows`, and range_bisection narrows the chunks that
// differ. Read-only on both sides.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "agent/key_range.h"
#include "agent/peer_fetch.h"
#include "agent/range_bisection.h"

namespace mmresync::agent {

struct TableComparison {
  std::vector<v1::KeyRange> differing;
  BisectionStats stats;
};

absl::StatusOr<TableComparison> CompareTable(DbSession& reader, TransferPeer& peer,
                                             const v1::TransferPart& part, const TableKey& key,
                                             uint64_t chunk_rows, uint64_t leaf_rows);

// The digests of `ranges` of `part`'s table on `reader`: what the source computes for
// DigestChunks, on this side.
absl::StatusOr<std::vector<RangeSummary>> LocalDigests(DbSession& reader,
                                                       const v1::TransferPart& part,
                                                       const TableKey& key,
                                                       const std::vector<v1::KeyRange>& ranges);

}  // namespace mmresync::agent
