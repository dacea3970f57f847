#pragma once

// The sleeps between checks of a condition that is usually true within moments (a
// service that just started, a VIP that keepalived just released, a server that just
// came up): short at first, doubling up to a cap. A fixed interval costs up to the whole
// interval after the condition came true, on every wait of every run; this costs at most
// about the time already waited, and the cap keeps a long wait as cheap as a fixed poll.
//
// Thread-safety: none; one per wait.

#include <algorithm>

#include "absl/time/time.h"

namespace mmresync {

class PollBackoff {
 public:
  // Sleeps `first`, then twice as long each time, at most `cap` (a `cap` below `first`
  // polls at `cap`; never below 1 ms).
  explicit PollBackoff(absl::Duration cap, absl::Duration first = absl::Milliseconds(20))
      : next_(std::max(std::min(first, cap), absl::Milliseconds(1))), cap_(std::max(cap, next_)) {}

  // The next sleep, never longer than `left` (what remains until the caller's deadline,
  // so that the last check happens at the deadline) and never negative.
  absl::Duration Next(absl::Duration left) {
    const absl::Duration sleep = std::clamp(left, absl::ZeroDuration(), next_);
    next_ = std::min(next_ * 2, cap_);
    return sleep;
  }

 private:
  absl::Duration next_;
  absl::Duration cap_;
};

}  // namespace mmresync
