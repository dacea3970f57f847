#pragma once

// Keeps a fenced node's read_only ON across a restart of its mariadbd. MariaDB takes
// read_only from its my.cnf when it starts, so a target whose server crashed mid-import
// and came back (systemd, an operator) would accept writes on half-imported data until
// a resumed run fenced it again. While this node is fenced by a run (it set read_only ON
// through the agent and has not set it OFF) *and that run holds this agent's lease*, a
// thread puts read_only back ON within `interval` of finding it OFF. A marker file in
// state_dir names the run (it outlives an agent restart); the run's unfence removes it.
// Once the run's lease is gone (finished, failed, abandoned, expired) nothing is
// enforced: an operator may lift a fence by hand (README, backups restore), and a
// resumed run fences again before anything else.
//
// Thread-safe: Apply and the checks are serialised, so an unfence never races a check
// that would set read_only ON again.

#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "agent/db_session.h"

namespace mmresync::agent {

class FenceKeeper {
 public:
  // `db` must outlive the keeper. With a zero `interval` no thread runs (unit tests call
  // CheckOnce themselves).
  // `run_holds_lease(run_id)`: whether that run holds this agent's lease now.
  FenceKeeper(std::string state_dir, DbSessionFactory* db,
              std::function<bool(const std::string&)> run_holds_lease, absl::Duration interval);
  ~FenceKeeper();
  FenceKeeper(const FenceKeeper&) = delete;
  FenceKeeper& operator=(const FenceKeeper&) = delete;

  // Sets read_only for run `run_id`; ON also marks the node fenced, OFF (once it took
  // effect) unmarks it.
  absl::Status Apply(bool read_only, const std::string& run_id);

  // When the node is marked fenced by a run that holds the lease and read_only is OFF,
  // sets it ON. Returns whether it
  // had to. An unreachable server is an error (the caller retries later).
  absl::StatusOr<bool> CheckOnce();

  // The run that fenced this node, or empty.
  std::string fenced_by() const;

 private:
  std::string marker_path() const;
  absl::StatusOr<bool> CheckLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Loop(absl::Duration interval);

  const std::string state_dir_;
  DbSessionFactory* const db_;
  const std::function<bool(const std::string&)> run_holds_lease_;
  mutable absl::Mutex mu_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace mmresync::agent
