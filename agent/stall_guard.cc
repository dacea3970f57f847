#include "agent/stall_guard.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mmresync::agent {

StallGuard::StallGuard(grpc::ServerContext* context, absl::Duration stall,
                       std::function<bool()> still_wanted, absl::Duration tick)
    : context_(context), stall_(stall), still_wanted_(std::move(still_wanted)), tick_(tick) {
  last_ = absl::Now();
  watcher_ = std::thread([this] { Watch(); });
}

StallGuard::~StallGuard() {
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  watcher_.join();
}

void StallGuard::Progress() {
  absl::MutexLock lock(&mu_);
  last_ = absl::Now();
}

std::string StallGuard::reason() const {
  absl::MutexLock lock(&mu_);
  return reason_;
}

void StallGuard::Watch() {
  absl::MutexLock lock(&mu_);
  while (!done_ && reason_.empty()) {
    mu_.AwaitWithTimeout(absl::Condition(&done_), tick_);
    if (done_) break;
    if (absl::Now() - last_ > stall_) {
      reason_ = absl::StrCat("the peer read nothing for ", absl::FormatDuration(stall_));
    } else if (!still_wanted_()) {
      reason_ = "the run no longer holds the lease";
    }
    if (!reason_.empty()) context_->TryCancel();
  }
}

}  // namespace mmresync::agent
