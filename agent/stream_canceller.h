#pragma once

// Cancels a transfer's open part streams as soon as the import must stop (the
// coordinator cancelled, another part failed). Without it a loader blocked waiting for
// the next chunk of a source that stopped sending would notice only when the source
// moved again or HTTP/2 keepalive gave up on the connection, tens of seconds later;
// with it, within one poll.

#include <functional>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/target_import.h"

namespace mmresync::agent {

class StreamCanceller {
 public:
  explicit StreamCanceller(std::function<bool()> stop,
                           absl::Duration poll = absl::Milliseconds(100));
  ~StreamCanceller();
  StreamCanceller(const StreamCanceller&) = delete;
  StreamCanceller& operator=(const StreamCanceller&) = delete;

  // Keeps `stream` registered for as long as it lives; a stream registered after the
  // stop is cancelled at once.
  class Registration {
   public:
    Registration(StreamCanceller& canceller, DumpStream* stream);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    StreamCanceller& canceller_;
    DumpStream* stream_;
  };

 private:
  void Watch();

  const std::function<bool()> stop_;
  const absl::Duration poll_;
  absl::Mutex mu_;
  absl::flat_hash_set<DumpStream*> streams_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification done_;
  std::thread thread_;
};

}  // namespace mmresync::agent
