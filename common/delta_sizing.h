#pragma once

// How the delta method cuts and spreads its compare: shared by the agents that run it
// and the plan that describes it.

#include <algorithm>
#include <cstdint>

namespace mmresync {

// The first cut of a table: chunks of this many rows or value bytes, whichever comes
// first. Few statements per table on each side; a differing chunk is then bisected.
inline constexpr uint64_t kDeltaChunkRows = 8192;
inline constexpr uint64_t kDeltaChunkBytes = 8 << 20;

// A table cut into at least this many ranges of which more than half differ is copied
// whole instead of bisected (agent/delta_compare.h says why).
inline constexpr uint64_t kDeltaCopyWholeMinRanges = 8;

// Tables compared at once, each on its own reader on the target and snapshot connection
// on the source.
inline constexpr uint32_t kMaxCompareLanes = 8;

// Comparing waits on page reads as much as it computes (a buffer pool smaller than the
// data reads page by page), so by default more lanes than cores: on a 2-core host holding
// both nodes, a delta repair of a 1.1 GiB pair (705 MiB of rows read on each side) took
// 6.0-6.2 s with 4 lanes against 7.0-7.6 s with 2 (MariaDB 10.11, 256 MiB buffer pools).
// `workers` 0 is the default.
inline uint32_t CompareLanes(uint32_t workers, uint32_t cores) {
  if (workers == 0) return std::clamp<uint32_t>(2 * cores, 4, kMaxCompareLanes);
  return std::clamp<uint32_t>(workers, 1, kMaxCompareLanes);
}

}  // namespace mmresync
