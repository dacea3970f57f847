#pragma once

// Digests key ranges on the source while the target is still reading the rest of its
// table: the target's pass hands over each range as soon as it has cut it, and one
// DigestChunks request at a time carries every range queued meanwhile, so the two
// sides read at once and the source lags the target by one request at most.

#include <cstdint>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/peer_fetch.h"
#include "agent/range_bisection.h"

namespace mmresync::agent {

// Ranges one request carries at most: with chunks of up to 8 MiB, a request reads at most
// 512 MiB on the source, so a cancelled comparison waits for seconds, not minutes, for
// the request in flight.
inline constexpr size_t kRangesPerDigestRequest = 64;

class SourceDigester {
 public:
  SourceDigester(TransferPeer& peer, uint32_t part_id);
  ~SourceDigester();  // waits for the request in flight
  SourceDigester(const SourceDigester&) = delete;
  SourceDigester& operator=(const SourceDigester&) = delete;

  // Queues `range`; the error of an earlier request if one failed (nothing more is
  // sent then).
  absl::Status Add(v1::KeyRange range);
  // The digests of every range added, in order, once the source has answered them all.
  absl::StatusOr<std::vector<RangeSummary>> Finish();

 private:
  void Run();

  TransferPeer& peer_;
  const uint32_t part_id_;
  absl::Mutex mu_;
  std::vector<v1::KeyRange> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<RangeSummary> digests_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;  // destroyed before Finish: stop sending
  std::thread thread_;
};

}  // namespace mmresync::agent
