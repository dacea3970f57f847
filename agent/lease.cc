#include "agent/lease.h"

#include "absl/strings/str_cat.h"

namespace mmresync::agent {

bool LeaseTable::LiveLocked() const { return !lease_.run_id.empty() && now_() < lease_.expires; }

absl::StatusOr<LeaseInfo> LeaseTable::Acquire(const std::string& run_id, const std::string& holder,
                                              absl::Duration ttl) {
  absl::MutexLock lock(&mu_);
  if (LiveLocked() && lease_.run_id != run_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "another operation holds this node: run ", lease_.run_id, " by ", lease_.holder,
        " (expires in ",
        absl::FormatDuration(absl::Trunc(lease_.expires - now_(), absl::Seconds(1))), ")"));
  }
  lease_ = LeaseInfo{run_id, holder, now_() + ttl};
  return lease_;
}

absl::StatusOr<LeaseInfo> LeaseTable::Renew(const std::string& run_id, absl::Duration ttl) {
  absl::MutexLock lock(&mu_);
  if (!LiveLocked() || lease_.run_id != run_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run_id, " does not hold the lease (it expired or was never taken)"));
  }
  lease_.expires = now_() + ttl;
  return lease_;
}

absl::Status LeaseTable::Release(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  if (lease_.run_id == run_id) lease_ = LeaseInfo{};
  return absl::OkStatus();
}

absl::Status LeaseTable::Check(const std::string& run_id) const {
  absl::MutexLock lock(&mu_);
  if (LiveLocked() && lease_.run_id == run_id) return absl::OkStatus();
  if (LiveLocked()) {
    return absl::FailedPreconditionError(
        absl::StrCat("this node is leased to run ", lease_.run_id, " by ", lease_.holder));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("run ", run_id, " holds no lease on this node (expired or never taken)"));
}

LeaseInfo LeaseTable::Current() const {
  absl::MutexLock lock(&mu_);
  return LiveLocked() ? lease_ : LeaseInfo{};
}

void TransferTokens::Authorize(const std::string& token, const std::string& peer_node,
                               const std::string& run_id, absl::Duration ttl) {
  absl::MutexLock lock(&mu_);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = now_() >= it->second.expires ? tokens_.erase(it) : std::next(it);
  }
  tokens_[token] = Entry{peer_node, run_id, now_() + ttl};
}

absl::Status TransferTokens::Consume(const std::string& token, const std::string& peer_node,
                                     const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || now_() >= it->second.expires) {
    return absl::PermissionDeniedError("unknown, used or expired transfer token");
  }
  if (it->second.peer_node != peer_node) {
    return absl::PermissionDeniedError(absl::StrCat("transfer token was issued for agent ",
                                                    it->second.peer_node, ", not ", peer_node));
  }
  if (it->second.run_id != run_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("transfer token was issued for another run, not run ", run_id));
  }
  tokens_.erase(it);
  return absl::OkStatus();
}

}  // namespace mmresync::agent
