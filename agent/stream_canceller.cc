#include "agent/stream_canceller.h"

namespace mmresync::agent {

StreamCanceller::StreamCanceller(std::function<bool()> stop, absl::Duration poll)
    : stop_(std::move(stop)), poll_(poll), thread_([this] { Watch(); }) {}

StreamCanceller::~StreamCanceller() {
  done_.Notify();
  thread_.join();
}

void StreamCanceller::Watch() {
  while (!done_.WaitForNotificationWithTimeout(poll_)) {
    if (!stop_()) continue;
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    for (DumpStream* s : streams_) s->Cancel();
  }
}

StreamCanceller::Registration::Registration(StreamCanceller& canceller, DumpStream* stream)
    : canceller_(canceller), stream_(stream) {
  absl::MutexLock lock(&canceller_.mu_);
  canceller_.streams_.insert(stream_);
  if (canceller_.stopped_) stream_->Cancel();
}

StreamCanceller::Registration::~Registration() {
  absl::MutexLock lock(&canceller_.mu_);
  canceller_.streams_.erase(stream_);
}

}  // namespace mmresync::agent
