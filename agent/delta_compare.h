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
#include <string>
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
  // Set (and `differing` empty) when most of the table differs: why it is better copied
  // whole than repaired range by range.
  std::string copy_whole;
  BisectionStats stats;
};

struct CompareLimits {
  uint64_t chunk_rows = kDeltaChunkRows;
  uint64_t chunk_bytes = kDeltaChunkBytes;
  uint64_t leaf_rows = 1;
  // A table cut into at least this many ranges, more than half of which differ after the
  // first pass, is not bisected: narrowing each differing chunk down to rows would read
  // it again on both sides once per halving (13 times for 8192 rows), and replacing it
  // range by range deletes and inserts row by row, where copying the table whole loads
  // an empty table on InnoDB's bulk path. Fewer ranges: bisected whatever differs.
  uint64_t copy_whole_min_ranges = kDeltaCopyWholeMinRanges;
  std::function<bool()> cancelled;  // checked at each chunk of the pass
  // How both sides encode rows under a digest: the session's (BeginTransferReply).
  v1::RowEncoding row_encoding = v1::ROW_ENCODING_FIXED_LENGTH;
};

absl::StatusOr<TableComparison> CompareTable(DbSession& reader, TransferPeer& peer,
                                             const v1::TransferPart& part, const TableKey& key,
                                             const CompareLimits& limits);

// The digests of `ranges` of `part`'s table on `reader`: what the source computes for
// DigestChunks, on this side.
absl::StatusOr<std::vector<RangeSummary>> LocalDigests(DbSession& reader,
                                                       const v1::TransferPart& part,
                                                       const TableKey& key,
                                                       const std::vector<v1::KeyRange>& ranges,
                                                       v1::RowEncoding encoding);

}  // namespace mmresync::agent
