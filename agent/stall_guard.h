#pragma once

// Ends a server stream whose peer stopped reading: while it lives, a thread checks every
// `tick` that Progress() was called within `stall` and that `still_wanted()` holds, and
// otherwise cancels the call (a blocked Write then returns false, and the producer, e.g.
// a mariadb-dump holding a global read lock, is stopped). Why it fired is in reason().

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mmresync::agent {

class StallGuard {
 public:
  StallGuard(grpc::ServerContext* context, absl::Duration stall, std::function<bool()> still_wanted,
             absl::Duration tick = absl::Seconds(1));
  ~StallGuard();
  StallGuard(const StallGuard&) = delete;
  StallGuard& operator=(const StallGuard&) = delete;

  void Progress();
  // Empty unless the guard cancelled the call.
  std::string reason() const;

 private:
  void Watch();

  grpc::ServerContext* context_;
  absl::Duration stall_;
  std::function<bool()> still_wanted_;
  absl::Duration tick_;
  mutable absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::string reason_ ABSL_GUARDED_BY(mu_);
  std::thread watcher_;
};

}  // namespace mmresync::agent
