#pragma once

// The part of the physical method's swap that must outlive the agent's process. Before
// the target stops mariadbd to swap its datadir for the prepared copy, it writes a swap
// record (<state_dir>/physical-swap.pb, 0600, crash-safe): the datadir, this node's own
// agent and replication accounts, the scheduler setting and the import's result. An
// agent killed after the swap (mariadbd down, the old datadir aside) finishes it when it
// starts again (FinishInterruptedSwap): mariadbd comes up on the copy, read-only, with
// this node's accounts, exactly as the import would have brought it up; if that fails,
// the old datadir is put back. The record then says "settled", and a repeated import of
// the same run (`recover --resume`) returns the recorded result instead of copying again.
//
// Thread-safety: none; the agent's operation slot serialises imports, and
// FinishInterruptedSwap runs before the agent serves anything.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/db_session.h"
#include "agent/mariadb_service_controller.h"
#include "mmresync/v1/agent.pb.h"
#include "mmresync/v1/swap_record.pb.h"

namespace mmresync::agent {

std::string SwapRecordPath(const std::string& state_dir);
absl::Status WriteSwapRecord(const std::string& state_dir, const v1::PhysicalSwapRecord& record);
// nullopt when there is none; an error when it cannot be read or parsed.
absl::StatusOr<std::optional<v1::PhysicalSwapRecord>> ReadSwapRecord(const std::string& state_dir);
// OK when there was none.
absl::Status ClearSwapRecord(const std::string& state_dir);

// This node's own agent and replication accounts (users `agent_user`, `repl_user`), as
// statements that re-create them, into `record`.
absl::Status SaveOwnAccounts(DbSession& session, const std::string& agent_user,
                             const std::string& repl_user, v1::PhysicalSwapRecord& record);

struct SwapContext {
  MariadbServiceController* service = nullptr;
  DbSessionFactory* db = nullptr;
  std::string agent_user;
  std::string repl_user;
  std::function<bool()> cancelled = [] { return false; };
  // How long the started server may take to accept connections.
  absl::Duration start_wait = absl::Minutes(10);
};

// With the copy in place as the datadir: starts mariadbd (unless it runs), sets
// read_only=ON before anything else, disables the events as a replica has them, puts
// the scheduler back as it was and this node's own accounts back (sql_log_bin=0).
// Returns the record's result with events_disabled and schemas filled in. Repeatable.
absl::StatusOr<v1::ImportResult> BringUpCopy(const SwapContext& context,
                                             const v1::PhysicalSwapRecord& record);

// After a failure past the swap: stops mariadbd, moves the copy to
// <datadir>.mmresync-new-<run>.failed, renames the old datadir back and starts it.
// Returns `why` annotated with where things are now.
absl::Status PutOldDatadirBack(MariadbServiceController& service,
                               const v1::PhysicalSwapRecord& record, const absl::Status& why);

// At the agent's start: finishes a swap a killed agent left half done (see above).
// Nothing to do without a record or with a settled one. An unfinished swap before the
// old datadir was moved aside just starts mariadbd on it again (a resume copies anew).
// The error says what state the datadir and mariadbd are in.
absl::Status FinishInterruptedSwap(const SwapContext& context, const std::string& state_dir);

// For an import of `run_id`: the recorded result when this run's swap was settled and
// its old datadir is still aside (the copy runs); nullopt otherwise. A settled record of
// another run is removed; an unsettled one refuses (FAILED_PRECONDITION) any import.
absl::StatusOr<std::optional<v1::ImportResult>> SettledSwapResult(const std::string& state_dir,
                                                                  const std::string& run_id);

}  // namespace mmresync::agent
