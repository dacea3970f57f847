#pragma once

// What the source's TransferRegistry holds: one open transfer session of some method
// (logical: SourceTransfer; physical: PhysicalSourceTransfer). The registry's watchdog
// only needs activity, expiry and the parts; each method serves its parts its own way,
// and this base keeps the bookkeeping they share.
//
// Thread-safety: implementations allow ServePart for different parts concurrently and
// Expire from any thread. `mu_` guards this base's state and may guard a subclass's too
// (so a wait on the subclass's state also wakes on Expire).

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/auto_compression.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

class TransferSession {
 public:
  virtual ~TransferSession() = default;
  virtual const v1::BeginTransferReply& manifest() const = 0;
  // Streams one part; `send` returns false when the peer is gone.
  virtual absl::Status ServePart(uint32_t part_id,
                                 const std::function<bool(const v1::DumpChunk&)>& send,
                                 const std::function<bool()>& cancelled) = 0;

  // Ends the session from outside (idle, stalled, lease gone): running parts stop at
  // their next chunk and no new part starts.
  void Expire(const std::string& why) {
    absl::MutexLock lock(&mu_);
    if (expired_why_.empty()) expired_why_ = why;
    expired_ = true;
  }
  bool expired() const { return expired_.load(); }
  absl::Time last_activity() const {
    absl::MutexLock lock(&mu_);
    return last_activity_;
  }
  int active_parts() const {
    absl::MutexLock lock(&mu_);
    return active_parts_;
  }
  // compression "auto" decides per session: its parts share the link.
  AutoCompression& auto_compression() { return auto_compression_; }

 protected:
  TransferSession() : last_activity_(absl::Now()) {}
  void Touch() {
    absl::MutexLock lock(&mu_);
    last_activity_ = absl::Now();
  }

  mutable absl::Mutex mu_;
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  int active_parts_ ABSL_GUARDED_BY(mu_) = 0;
  std::string expired_why_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> expired_{false};

 private:
  AutoCompression auto_compression_;
};

}  // namespace mmresync::agent
