#include "agent/operation_slot.h"

#include "absl/strings/str_cat.h"

namespace mmresync::agent {

absl::string_view OperationSlot::Name(Kind kind) {
  switch (kind) {
    case Kind::kImport:
      return "import";
    case Kind::kDump:
      return "dump";
    case Kind::kBackup:
      return "backup";
  }
  return "operation";
}

OperationSlot::Guard::~Guard() {
  if (slot_ == nullptr) return;
  absl::MutexLock lock(&slot_->mu_);
  slot_->running_.reset();
}

std::string OperationSlot::DescribeLocked() const {
  return absl::StrCat(
      "the ", Name(running_->kind), " for run ", running_->run_id, " runs here (for ",
      absl::FormatDuration(absl::Trunc(now_() - running_->since, absl::Seconds(1))), ")");
}

absl::StatusOr<OperationSlot::Guard> OperationSlot::TryAcquire(Kind kind,
                                                               const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  if (running_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing the ", Name(kind), " for run ", run_id, ": ", DescribeLocked(),
                     "; an agent runs one import, dump or backup at a time"));
  }
  running_ = Running{kind, run_id, now_()};
  return Guard(this);
}

std::optional<OperationSlot::Running> OperationSlot::Current() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

absl::Status OperationSlot::CheckNoImport(absl::string_view action) const {
  absl::MutexLock lock(&mu_);
  if (!running_.has_value() || running_->kind != Kind::kImport) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("refusing ", action, ": ", DescribeLocked(),
                   " and the node holds partial data until it ends; the fence stays"));
}

}  // namespace mmresync::agent
