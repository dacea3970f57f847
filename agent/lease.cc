#include "agent/lease.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace mmresync::agent {

namespace {

bool InAlphabet(const std::string& s, absl::string_view extra) {
  for (char c : s) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == absl::string_view::npos) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateInstanceId(absl::string_view field, const std::string& id) {
  if (id.empty() || id.size() > 64 || !InAlphabet(id, "_-")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", field, ": must be [A-Za-z0-9_-]{1,64}"));
  }
  return absl::OkStatus();
}

absl::Status ValidateInstance(const v1::CoordinatorInstance& in) {
  RETURN_IF_ERROR(ValidateInstanceId("instance.id", in.id()));
  if (in.host().empty() || in.host().size() > 253 || !InAlphabet(in.host(), "_.-")) {
    return absl::InvalidArgumentError("invalid instance.host: must be [A-Za-z0-9_.-]{1,253}");
  }
  if (in.user().size() > 64 || !InAlphabet(in.user(), "_.@-")) {
    return absl::InvalidArgumentError("invalid instance.user: must be [A-Za-z0-9_.@-]{0,64}");
  }
  return absl::OkStatus();
}

std::string DescribeInstance(const v1::CoordinatorInstance& in) {
  return absl::StrCat(
      "coordinator ", in.id(), " (", in.user().empty() ? "?" : in.user(), "@", in.host(), ", pid ",
      in.pid(), ", started ",
      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(in.started_unix_ms()),
                       absl::UTCTimeZone()),
      ")");
}

bool LeaseTable::LiveLocked() const { return !lease_.run_id.empty() && now_() < lease_.expires; }

std::string LeaseTable::HolderLocked() const {
  return absl::StrCat("run ", lease_.run_id, " held by ", DescribeInstance(lease_.instance),
                      "; the lease expires in ",
                      absl::FormatDuration(absl::Trunc(lease_.expires - now_(), absl::Seconds(1))),
                      " unless renewed");
}

absl::StatusOr<LeaseInfo> LeaseTable::Acquire(const std::string& run_id, const std::string& holder,
                                              const v1::CoordinatorInstance& instance,
                                              absl::Duration ttl,
                                              const std::string& take_over_from) {
  absl::MutexLock lock(&mu_);
  if (LiveLocked()) {
    if (lease_.run_id != run_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("another operation holds this node: ", HolderLocked()));
    }
    const bool same_instance = lease_.instance.id() == instance.id();
    const bool takeover = !take_over_from.empty() && take_over_from == lease_.instance.id();
    if (!same_instance && !takeover) {
      return absl::FailedPreconditionError(
          absl::StrCat("another coordinator is running this run: ", HolderLocked()));
    }
  }
  lease_ = LeaseInfo{run_id, holder, instance, now_() + ttl};
  return lease_;
}

absl::StatusOr<LeaseInfo> LeaseTable::Renew(const std::string& run_id,
                                            const std::string& instance_id, absl::Duration ttl) {
  absl::MutexLock lock(&mu_);
  if (!LiveLocked() || lease_.run_id != run_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run_id, " does not hold the lease (it expired or was never taken)"));
  }
  if (lease_.instance.id() != instance_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "coordinator ", instance_id, " does not hold the lease any more: ", HolderLocked()));
  }
  lease_.expires = now_() + ttl;
  return lease_;
}

absl::Status LeaseTable::Release(const std::string& run_id, const std::string& instance_id) {
  absl::MutexLock lock(&mu_);
  if (lease_.run_id == run_id && lease_.instance.id() == instance_id) lease_ = LeaseInfo{};
  return absl::OkStatus();
}

absl::Status LeaseTable::Check(const std::string& run_id, const std::string& instance_id) const {
  absl::MutexLock lock(&mu_);
  if (!LiveLocked()) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run_id, " holds no lease on this node (expired or never taken)"));
  }
  if (lease_.run_id != run_id) {
    return absl::FailedPreconditionError(absl::StrCat("this node is leased to ", HolderLocked()));
  }
  if (lease_.instance.id() != instance_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("coordinator ", instance_id.empty() ? "(unnamed)" : instance_id,
                     " does not hold the lease of run ", run_id, ": ", HolderLocked()));
  }
  return absl::OkStatus();
}

LeaseInfo LeaseTable::Current() const {
  absl::MutexLock lock(&mu_);
  return LiveLocked() ? lease_ : LeaseInfo{};
}

bool LeaseTable::HeldByRun(const std::string& run_id) const {
  absl::MutexLock lock(&mu_);
  return LiveLocked() && lease_.run_id == run_id;
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
  if (run_holds_lease_ != nullptr && !run_holds_lease_(run_id)) {
    tokens_.erase(it);
    return absl::PermissionDeniedError(
        absl::StrCat("transfer token of run ", run_id, " died with the run's lease"));
  }
  tokens_.erase(it);
  return absl::OkStatus();
}

void TransferTokens::DropRun(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->second.run_id == run_id ? tokens_.erase(it) : std::next(it);
  }
}

}  // namespace mmresync::agent
