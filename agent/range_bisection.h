#pragma once

// Finding the key ranges of one table whose rows differ between the source's snapshot
// and the fenced target, reading both sides and moving only digests. Each round asks
// both sides for the digests of the ranges still in question (in parallel); a range
// whose digests differ is cut at the median of the target's keys in it, until it holds
// at most `leaf_rows` target rows. A leaf's rows are then replaced from the source, so a
// few divergent rows move a few rows, whatever the table's size: the rows moved are the
// source's rows in the leaves (the divergent ones plus at most `leaf_rows` per leaf).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct RangeSummary {
  std::string sha256;
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

// Both sides of one table. Source and Target may be called from different threads.
class RangeOracle {
 public:
  virtual ~RangeOracle() = default;
  virtual absl::StatusOr<std::vector<RangeSummary>> Source(
      const std::vector<v1::KeyRange>& ranges) = 0;
  virtual absl::StatusOr<std::vector<RangeSummary>> Target(
      const std::vector<v1::KeyRange>& ranges) = 0;
  // The key of the target's `n`-th row (1-based, key order) inside `range`.
  virtual absl::StatusOr<std::vector<std::string>> TargetKeyAt(const v1::KeyRange& range,
                                                               uint64_t n) = 0;
};

struct BisectionStats {
  uint64_t compared = 0;  // ranges whose digests were compared
  uint64_t source_bytes = 0;
  uint64_t target_bytes = 0;
  uint64_t rounds = 0;
};

// The ranges (from `initial`, which must cover the key space) that differ, cut down to
// at most `leaf_rows` (>= 1) target rows each; disjoint, not sorted.
absl::StatusOr<std::vector<v1::KeyRange>> FindDifferingRanges(
    const std::vector<v1::KeyRange>& initial, RangeOracle& oracle, uint64_t leaf_rows,
    BisectionStats* stats);

// Ranges whose digests on both sides are already known (a first round read some other
// way, e.g. in one pass over the target's table).
struct DigestedRanges {
  std::vector<v1::KeyRange> ranges;
  std::vector<RangeSummary> source;
  std::vector<RangeSummary> target;
};

// As FindDifferingRanges, with the first round's digests given instead of asked for.
absl::StatusOr<std::vector<v1::KeyRange>> NarrowDifferingRanges(DigestedRanges first,
                                                                RangeOracle& oracle,
                                                                uint64_t leaf_rows,
                                                                BisectionStats* stats);

// Ranges covering the whole key space, cut at `boundaries` (keys in ascending order):
// (-inf, b1], (b1, b2], ..., (bn, +inf).
std::vector<v1::KeyRange> RangesBetween(const std::vector<std::vector<std::string>>& boundaries);

}  // namespace mmresync::agent
