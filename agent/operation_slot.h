#pragma once

// At most one long data operation (import, dump, backup) runs on an agent at a time,
// whatever callers say: two imports into one server would drop each other's schemas
// mid-way (seen with two coordinators on one run), and a dump or backup next to an
// import reads half-imported data. While an import runs, the RPCs that would unfence
// the node (read_only OFF, keepalived START) are refused too: the node holds partial
// data until the import ends.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mmresync::agent {

class OperationSlot {
 public:
  enum class Kind { kImport, kDump, kBackup };
  static absl::string_view Name(Kind kind);

  struct Running {
    Kind kind;
    std::string run_id;
    absl::Time since;
  };

  // Holds the slot until destroyed (or moved from).
  class Guard {
   public:
    Guard(Guard&& other) noexcept : slot_(other.slot_) { other.slot_ = nullptr; }
    Guard& operator=(Guard&&) = delete;
    Guard(const Guard&) = delete;
    ~Guard();

   private:
    friend class OperationSlot;
    explicit Guard(OperationSlot* slot) : slot_(slot) {}
    OperationSlot* slot_;
  };

  explicit OperationSlot(std::function<absl::Time()> now = absl::Now) : now_(std::move(now)) {}

  // The slot, or FailedPrecondition naming what runs (kind, run, for how long).
  absl::StatusOr<Guard> TryAcquire(Kind kind, const std::string& run_id);
  std::optional<Running> Current() const;
  // FailedPrecondition while an import runs; `action` names what was refused.
  absl::Status CheckNoImport(absl::string_view action) const;

 private:
  std::string DescribeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  std::optional<Running> running_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mmresync::agent
