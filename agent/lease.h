#pragma once

// One operation per pair at a time: a coordinator run holds a lease on each agent, and
// every mutating RPC must name it. A second run is refused while the lease is live; a
// vanished coordinator's lease simply expires.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mmresync::agent {

struct LeaseInfo {
  std::string run_id;  // empty: free
  std::string holder;
  absl::Time expires;
};

class LeaseTable {
 public:
  explicit LeaseTable(std::function<absl::Time()> now = absl::Now) : now_(std::move(now)) {}

  // Takes the lease for `run_id` (or renews it if this run already holds it).
  absl::StatusOr<LeaseInfo> Acquire(const std::string& run_id, const std::string& holder,
                                    absl::Duration ttl);
  absl::StatusOr<LeaseInfo> Renew(const std::string& run_id, absl::Duration ttl);
  absl::Status Release(const std::string& run_id);
  // OK when `run_id` holds a live lease; FailedPrecondition otherwise, naming the holder.
  absl::Status Check(const std::string& run_id) const;
  LeaseInfo Current() const;

 private:
  bool LiveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  LeaseInfo lease_ ABSL_GUARDED_BY(mu_);
};

// One-time transfer tokens on the source agent: authorised by the coordinator for one
// peer agent and one run, consumed by the first FetchDump that presents them.
class TransferTokens {
 public:
  explicit TransferTokens(std::function<absl::Time()> now = absl::Now) : now_(std::move(now)) {}
  void Authorize(const std::string& token, const std::string& peer_node, const std::string& run_id,
                 absl::Duration ttl);
  // OK once per token, for the named peer and run, before it expires.
  absl::Status Consume(const std::string& token, const std::string& peer_node,
                       const std::string& run_id);

 private:
  struct Entry {
    std::string peer_node;
    std::string run_id;
    absl::Time expires;
  };
  std::function<absl::Time()> now_;
  absl::Mutex mu_;
  std::map<std::string, Entry> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mmresync::agent
