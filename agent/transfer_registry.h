#pragma once

// The source agent's open transfer sessions (logical method), and the watchdog that
// keeps a peer from holding the source: a session ends when
//   - its run's lease is gone (the coordinator vanished or released it),
//   - a part makes no progress for `stall` (the target stopped reading), or
//   - no part is fetched for `idle` (the target went away between parts).
// Ending it cancels the running FetchPart calls and closes its snapshot connections
// (their transactions roll back). Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/transfer_session.h"

namespace mmresync::agent {

class TransferRegistry {
 public:
  struct Limits {
    absl::Duration stall = absl::Seconds(30);
    absl::Duration idle = absl::Seconds(30);
    absl::Duration tick = absl::Seconds(1);
  };
  // `lease_ok(run_id)` says whether the run still holds this agent's lease.
  TransferRegistry(std::function<bool(const std::string&)> lease_ok, Limits limits);
  ~TransferRegistry();

  void Add(std::shared_ptr<TransferSession> session, std::string peer_node, std::string run_id);
  // The session for a FetchPart by `peer_node`, with `context` registered for
  // cancellation until Detach.
  absl::StatusOr<std::shared_ptr<TransferSession>> Attach(const std::string& session_id,
                                                          const std::string& peer_node,
                                                          grpc::ServerContext* context);
  void Detach(const std::string& session_id, grpc::ServerContext* context);
  absl::Status End(const std::string& session_id, const std::string& peer_node);
  size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<TransferSession> session;
    std::string peer_node;
    std::string run_id;
    std::set<grpc::ServerContext*> contexts;
  };
  void Watch();
  void ExpireLocked(Entry& entry, const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::function<bool(const std::string&)> lease_ok_;
  Limits limits_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

}  // namespace mmresync::agent
