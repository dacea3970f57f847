#include "agent/transfer_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace mmresync::agent {

TransferRegistry::TransferRegistry(std::function<bool(const std::string&)> lease_ok, Limits limits)
    : lease_ok_(std::move(lease_ok)), limits_(limits) {
  watcher_ = std::thread([this] { Watch(); });
}

TransferRegistry::~TransferRegistry() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  watcher_.join();
}

void TransferRegistry::Add(std::shared_ptr<TransferSession> session, std::string peer_node,
                           std::string run_id) {
  absl::MutexLock lock(&mu_);
  const std::string id = session->manifest().session_id();
  sessions_[id] = Entry{std::move(session), std::move(peer_node), std::move(run_id), {}};
}

absl::StatusOr<std::shared_ptr<TransferSession>> TransferRegistry::Attach(
    const std::string& session_id, const std::string& peer_node, grpc::ServerContext* context) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.peer_node != peer_node) {
    return absl::NotFoundError("no such transfer session for this agent (ended or expired)");
  }
  if (it->second.session->expired()) {
    return absl::CancelledError("the transfer session has ended");
  }
  it->second.contexts.insert(context);
  return it->second.session;
}

void TransferRegistry::Detach(const std::string& session_id, grpc::ServerContext* context) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it != sessions_.end()) it->second.contexts.erase(context);
}

absl::Status TransferRegistry::End(const std::string& session_id, const std::string& peer_node) {
  std::shared_ptr<TransferSession> ended;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || it->second.peer_node != peer_node) {
      return absl::NotFoundError("no such transfer session for this agent (ended or expired)");
    }
    ExpireLocked(it->second, "ended by the target");
    ended = std::move(it->second.session);
    sessions_.erase(it);
  }
  // The snapshot connections close (and roll back) when the last FetchPart lets go.
  return absl::OkStatus();
}

size_t TransferRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void TransferRegistry::ExpireLocked(Entry& entry, const std::string& why) {
  if (!entry.session->expired()) {
    log::Warning("transfer session ", entry.session->manifest().session_id(), " for agent ",
                 entry.peer_node, " ends: ", why);
  }
  entry.session->Expire(why);
  for (grpc::ServerContext* c : entry.contexts) c->TryCancel();
}

void TransferRegistry::Watch() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), limits_.tick);
    const absl::Time now = absl::Now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Entry& e = it->second;
      const absl::Duration quiet = now - e.session->last_activity();
      const bool busy = e.session->active_parts() > 0;
      if (!lease_ok_(e.run_id)) {
        ExpireLocked(e, absl::StrCat("run ", e.run_id, " no longer holds the lease"));
      } else if (busy && quiet > limits_.stall) {
        ExpireLocked(
            e, absl::StrCat("the target read nothing for ", absl::FormatDuration(limits_.stall)));
      } else if (!busy && quiet > limits_.idle) {
        ExpireLocked(e, absl::StrCat("no part fetched for ", absl::FormatDuration(limits_.idle)));
      }
      if (e.session->expired() && e.contexts.empty()) {
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace mmresync::agent
