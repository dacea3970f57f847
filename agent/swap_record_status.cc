#include "agent/swap_record_status.h"

#include "absl/strings/str_cat.h"
#include "agent/physical_swap.h"
#include "common/log.h"
#include "common/physical_layout.h"
#include "common/status_macros.h"

namespace mmresync::agent {

void ReportSwapRecord(const std::string& state_dir, v1::NodeStatus* reply) {
  absl::StatusOr<std::optional<v1::PhysicalSwapRecord>> record = ReadSwapRecord(state_dir);
  if (record.ok() && !record->has_value()) return;
  v1::PhysicalSwapState* state = reply->mutable_physical_swap();
  if (!record.ok()) {
    state->set_error(std::string(record.status().message()));
    state->set_next(absl::StrCat("read ", SwapRecordPath(state_dir),
                                 " and this agent's log before any physical import"));
    return;
  }
  const v1::PhysicalSwapRecord& r = **record;
  state->set_run_id(r.run_id());
  state->set_settled(r.settled());
  state->set_datadir(r.datadir());
  state->set_old_datadir(PhysicalBackupDir(r.datadir(), r.run_id()));
  state->set_next(
      r.settled()
          ? absl::StrCat("mariadbd runs on the copy, fenced; `mmresync recover --resume` "
                         "continues run ",
                         r.run_id(), " without copying again (the record goes at its phase 1)")
          : absl::StrCat("run ", r.run_id(),
                         "'s import is swapping the datadir now; if no import runs, restart "
                         "this agent: it finishes the swap or puts the old datadir back"));
}

absl::Status ForgetSettledSwap(const std::string& state_dir, const std::string& run_id) {
  ASSIGN_OR_RETURN(std::optional<v1::PhysicalSwapRecord> record, ReadSwapRecord(state_dir));
  if (!record.has_value() || !record->settled() || record->run_id() != run_id) {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(ClearSwapRecord(state_dir));
  log::Info("run ", run_id, " went on past its physical import: swap record ",
            SwapRecordPath(state_dir), " removed");
  return absl::OkStatus();
}

}  // namespace mmresync::agent
