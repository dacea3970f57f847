#pragma once

// Compares one table between the source's snapshot (through the delta session) and the
// fenced target (`reader`: SET NAMES binary, time_zone '+00:00'). One pass over the
// target's rows in key order digests them and cuts chunks of `chunk_rows` rows or
// `chunk_bytes` value bytes, whichever comes first; the source digests each chunk while
// the target reads the next (source_digester.h), and range_bisection narrows the chunks
// that differ. Each side reads the table once, both at the same time. Read-only on both
// sides.

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "agent/key_range.h"
#include "agent/peer_fetch.h"
#include "agent/range_bisection.h"
#include "common/delta_sizing.h"

namespace mmresync::agent {

struct TableComparison {
  std::vector<v1::KeyRange> differing;
  BisectionStats stats;
};

struct CompareLimits {
  uint64_t chunk_rows = kDeltaChunkRows;
  uint64_t chunk_bytes = kDeltaChunkBytes;
  uint64_t leaf_rows = 1;
  std::function<bool()> cancelled;  // checked at each chunk of the pass
};

absl::StatusOr<TableComparison> CompareTable(DbSession& reader, TransferPeer& peer,
                                             const v1::TransferPart& part, const TableKey& key,
                                             const CompareLimits& limits);

// The digests of `ranges` of `part`'s table on `reader`: what the source computes for
// DigestChunks, on this side.
absl::StatusOr<std::vector<RangeSummary>> LocalDigests(DbSession& reader,
                                                       const v1::TransferPart& part,
                                                       const TableKey& key,
                                                       const std::vector<v1::KeyRange>& ranges);

}  // namespace mmresync::agent
