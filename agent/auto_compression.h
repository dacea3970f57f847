#pragma once

// compression "auto" on the source: zstd only while it makes the session's stream
// faster. Whether the link or the import is the bottleneck cannot be seen from one end
// (either way the sender waits on flow control), so this measures instead: after a
// warm-up, the stream runs a while compressed and a while uncompressed, keeps the faster
// (compressed must win clearly: it costs CPU on both hosts), holds that choice, then
// probes again (tables differ, links get busy). Each probe first lets the bytes already
// queued in the transport drain (settle) before its rate counts.
//
// Thread-safe: one per transfer session, shared by its concurrent part streams; the
// rate is the session's, which is what the operator waits on.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mmresync::agent {

class AutoCompression {
 public:
  struct Options {
    absl::Duration warmup = absl::Seconds(1);
    absl::Duration settle = absl::Milliseconds(1500);  // of each probe, not measured
    absl::Duration measure = absl::Seconds(2);         // of each probe
    uint64_t min_measure_bytes = 2ull << 20;           // a probe lasts until it saw this much
    absl::Duration hold = absl::Seconds(30);
    double required_gain = 1.15;  // compressed must be this much faster to be chosen
  };

  explicit AutoCompression(std::function<absl::Time()> now = [] { return absl::Now(); })
      : AutoCompression(Options(), std::move(now)) {}
  AutoCompression(Options options, std::function<absl::Time()> now);

  // 0 or kAutoZstdLevel for the next chunk.
  int NextLevel();
  // A chunk of `raw_bytes` (before compression) has been handed to the link.
  void Sent(uint64_t raw_bytes);

  // For the source's log: "probing", "on (x MB/s vs y MB/s)", "off (...)".
  std::string Describe() const;

 private:
  enum class Phase { kWarmup, kProbeOn, kProbeOff, kHoldOn, kHoldOff };
  void Enter(Phase phase, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The probe's rate once it has measured long enough, else 0.
  double ProbeRate(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kWarmup;
  absl::Time phase_start_ ABSL_GUARDED_BY(mu_);
  uint64_t measured_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // after the settle
  double rate_on_ ABSL_GUARDED_BY(mu_) = 0;           // bytes/s of the last probes
  double rate_off_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mmresync::agent
