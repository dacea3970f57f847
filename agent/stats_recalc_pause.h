#pragma once

// InnoDB recalculates a table's persistent statistics in the background each time a tenth
// of its rows changed. During a bulk load into empty tables that recalculation took most
// of the target's CPU: at 1.1 GiB on 2 cores its mariadbd spent 40-44 CPU-s with it and
// 22-24 without, and the load took 26-29.5 s against 19-21 s (MariaDB 10.11). A load
// refreshes each table's statistics itself once the rows are in (table_statistics.h), so
// the target pauses the recalculation (the global innodb_stats_auto_recalc) for its load
// and puts it back afterwards.
//
// The pause is recorded in <state_dir>/stats-auto-recalc-paused before the setting
// changes: an agent killed during a load puts the setting back when it starts again, and
// a load that finds the record knows the setting was ON before the killed one paused it.

#include <string>

#include "absl/status/status.h"
#include "agent/db_session.h"

namespace mmresync::agent {

class StatsRecalcPause {
 public:
  // Pauses the recalculation when it is on (or a killed pause left it off). A server that
  // refuses the change (no privilege) is not a reason to fail the load: the pause stays
  // inactive and `note` says why, for the operator.
  static StatsRecalcPause Begin(DbSession& session, const std::string& state_dir);

  bool active() const { return active_; }
  const std::string& note() const { return note_; }

  // Puts the setting back (nothing when inactive) and removes the record; on an error the
  // record stays for the agent's next start.
  absl::Status End(DbSession& session);

  // End on a session of its own (the load's may have outlived the server's patience);
  // a failure is logged with what to do, the load itself being complete.
  void EndOrWarn(DbSessionFactory& db);

  // At the agent's start: a record left by a killed agent puts the setting back.
  static absl::Status RestoreAfterRestart(DbSession& session, const std::string& state_dir);

 private:
  StatsRecalcPause(std::string record, bool active, std::string note)
      : record_(std::move(record)), active_(active), note_(std::move(note)) {}

  std::string record_;
  bool active_ = false;
  std::string note_;
};

// The record's path in `state_dir`, and whether it is there.
std::string StatsRecalcPauseRecord(const std::string& state_dir);
bool StatsRecalcPauseRecorded(const std::string& state_dir);

}  // namespace mmresync::agent
