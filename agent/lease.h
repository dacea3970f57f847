#pragma once

// One operation per pair at a time: a coordinator run holds a lease on each agent, and
// every mutating RPC must name it. A lease belongs to one coordinator *instance* (one
// process), not just to a run id: a second coordinator resuming the same run is refused
// while the first one's lease is live, unless it proved the first one gone (same host,
// process dead) and names it in take_over_from. A vanished coordinator's lease simply
// expires.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct LeaseInfo {
  std::string run_id;  // empty: free
  std::string holder;
  v1::CoordinatorInstance instance;
  absl::Time expires;
};

// InvalidArgument unless the instance's fields fit their alphabets (they reach logs and
// terminals).
absl::Status ValidateInstance(const v1::CoordinatorInstance& instance);
// InvalidArgument unless `id` is [A-Za-z0-9_-]{1,64}; `field` names it.
absl::Status ValidateInstanceId(absl::string_view field, const std::string& id);

// "coordinator 3f2a… (alice@ops1, pid 4242, started 2026-01-02 03:04:05 UTC)".
std::string DescribeInstance(const v1::CoordinatorInstance& instance);

class LeaseTable {
 public:
  explicit LeaseTable(std::function<absl::Time()> now = absl::Now) : now_(std::move(now)) {}

  // Takes the lease for `run_id` by `instance` (or renews it if that instance already
  // holds it). A live lease of the same run held by another instance is taken over only
  // when `take_over_from` names that instance.
  absl::StatusOr<LeaseInfo> Acquire(const std::string& run_id, const std::string& holder,
                                    const v1::CoordinatorInstance& instance, absl::Duration ttl,
                                    const std::string& take_over_from = "");
  absl::StatusOr<LeaseInfo> Renew(const std::string& run_id, const std::string& instance_id,
                                  absl::Duration ttl);
  // Only the holding instance releases; anything else changes nothing.
  absl::Status Release(const std::string& run_id, const std::string& instance_id);
  // OK when `instance_id` holds a live lease for `run_id`; FailedPrecondition otherwise,
  // naming the holder.
  absl::Status Check(const std::string& run_id, const std::string& instance_id) const;
  LeaseInfo Current() const;
  // Whether run `run_id` holds the lease now, whichever coordinator process holds it
  // (for work that belongs to the run, not to one caller: transfer sessions, dumps).
  bool HeldByRun(const std::string& run_id) const;

 private:
  bool LiveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string HolderLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  LeaseInfo lease_ ABSL_GUARDED_BY(mu_);
};

// One-time transfer tokens on the source agent: authorised by the coordinator for one
// peer agent and one run, consumed by the first FetchDump that presents them.
class TransferTokens {
 public:
  // `run_holds_lease(run_id)`: whether the run still holds this agent's lease (null: always).
  explicit TransferTokens(std::function<absl::Time()> now = absl::Now,
                          std::function<bool(const std::string&)> run_holds_lease = nullptr)
      : now_(std::move(now)), run_holds_lease_(std::move(run_holds_lease)) {}
  void Authorize(const std::string& token, const std::string& peer_node, const std::string& run_id,
                 absl::Duration ttl);
  // OK once per token, for the named peer and run, before it expires, and only while its
  // run holds the lease: a token dies with its run's lease (released or expired).
  absl::Status Consume(const std::string& token, const std::string& peer_node,
                       const std::string& run_id);
  // Forgets every token of `run_id` (its lease was released).
  void DropRun(const std::string& run_id);

 private:
  struct Entry {
    std::string peer_node;
    std::string run_id;
    absl::Time expires;
  };
  std::function<absl::Time()> now_;
  std::function<bool(const std::string&)> run_holds_lease_;
  absl::Mutex mu_;
  std::map<std::string, Entry> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mmresync::agent
