#pragma once

// The target side of the physical method. With the source's manifest in hand (one
// BACKUP_STREAM part, nothing run on the source yet):
//   1. checks, nothing changed if any fails: the fence; [mariadb.service] control is not
//      none and its status agrees that mariadbd runs; same MariaDB major.minor as the
//      source; a self-contained datadir that is not a mount point; free space beside it
//      for a second copy; the agent's own account defined identically on the source
//      (the copy brings the source's mysql schema: the agent must still log in after);
//      no replication filters on this node (CheckNoReplicationFilters);
//   2. `mbstream -x -C <datadir>.mmresync-new-<run>` fed from the part's stream (offsets,
//      SHA-256, trailer checked) while the old mariadbd keeps running, fenced;
//   3. `mariadb-backup --prepare` of that directory; the coordinates come from its
//      xtrabackup_binlog_info (mariadb_backup_binlog_info on 11.1+) and must match the
//      ones the source's mariadb-backup logged;
//   4. replica state is dropped from the copy (master.info, relay-log.info,
//      multi-master.info, relay logs), ownership and mode made those of the old datadir;
//   5. the swap record is written (physical_swap.h: what an agent killed from here on
//      needs to finish the swap at its next start), the fence is checked again,
//      mariadbd stopped through the service control, this
//      node's own binary log hard-linked into the copy (it stays this node's, as with
//      the logical methods, and so does its GTID state), the datadir renamed to
//      <datadir>.mmresync-<run> (the standby's backup: the old data, untouched) and the prepared
//      directory renamed into place;
//   6. mariadbd started (command control passes MMRESYNC_MARIADBD_OPTIONS: no replica
//      threads, no event scheduler, read-only), read_only=ON set at once, events
//      DISABLE ON SLAVE, the scheduler back as it was, and this node's own agent and
//      replication accounts restored as they were before the swap (sql_log_bin=0).
// A failure before the stop leaves the old server running and removes the new
// directory; a failure after the swap puts the old datadir back and starts it again.
// A repeated import of a run whose swap was finished returns the recorded result
// (SettledSwapResult) instead of copying again.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/mariadb_service_controller.h"
#include "agent/peer_fetch.h"
#include "agent/target_import.h"
#include "common/physical_layout.h"
#include "common/tool_argv.h"

namespace mmresync::agent {

struct PhysicalImportParams {
  TargetImportParams base;
  MariadbServiceController* service = nullptr;
  // The agent's fence check (CheckDestructive): before anything, and before the stop.
  std::function<absl::Status(DbSession&)> check_fence = [](DbSession&) { return absl::OkStatus(); };
  std::string run_id;
  std::string agent_user;  // accounts of these users are this node's own: restored
  std::string repl_user;
  std::string mbstream_command = kMbstreamCommand;
  std::string backup_command = kMariadbBackupCommand;
  // How long the restarted server may take to accept connections.
  absl::Duration start_wait = absl::Minutes(10);
};

// Paths beside `datadir` (common/physical_layout.h; the plan names them the same).
using mmresync::PhysicalBackupDir;
using mmresync::PhysicalNewDir;

// Files of a copied datadir that describe the source's own replica or logs, never the
// target's: removed before the copy is moved into place. `relay_base` and `binlog_base`
// are the target's relay-log / log-bin basenames (file name part only; may be empty).
bool IsReplicaStateFile(const std::string& name, const std::string& relay_base,
                        const std::string& binlog_base);

// A physical copy replaces the whole datadir, so with replication filters the schemas
// the pair keeps apart (each node's local data) would be overwritten by the source's:
// refused here whatever the coordinator decided (FailedPrecondition naming the filters).
absl::Status CheckNoReplicationFilters(DbSession& session);

// The user's account ("user@host" of CURRENT_USER()) of `session`.
absl::StatusOr<std::string> CurrentAccount(DbSession& session);

absl::StatusOr<v1::ImportResult> ImportPhysical(const PhysicalImportParams& params,
                                                TransferPeer& peer,
                                                const v1::BeginTransferReply& manifest);

}  // namespace mmresync::agent
