#pragma once

// Control of the local mariadbd itself, `[mariadb.service]` in agent.toml. Only the
// physical method uses it: the target's server is stopped to swap its datadir for the
// prepared copy and started again. Modelled on KeepalivedController:
//   systemd  `systemctl start|stop <service>`, state from `systemctl is-active <service>`
//   command  the operator's start/stop/status command lines (/bin/sh -c; local config
//            only, never from the wire). The start command runs with
//            MMRESYNC_MARIADBD_OPTIONS in its environment: options the server must start
//            with after a swap (no replication threads, no event scheduler, read-only);
//            a start script should append them to mariadbd's arguments.
//   none     the agent never stops or starts mariadbd; the physical method is refused.
//
// Start and Stop do not trust an exit code: after the command, Status must agree within
// MariadbServiceTiming::settle (a stop that exits 0 with mariadbd still running is an
// error, never a datadir swapped under a live server).
//
// Thread-safety: no mutable state; callers serialise Start against Stop (the lease does).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/keepalived_controller.h"
#include "common/config.h"
#include "common/physical_layout.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// What the start command finds in MMRESYNC_MARIADBD_OPTIONS (common/physical_layout.h).
using mmresync::kMariadbdOptionsEnv;
using mmresync::kMariadbdSwapOptions;

struct MariadbServiceStatus {
  bool managed = false;  // false only for control = none
  bool running = false;
  std::string detail;
};

struct MariadbServiceTiming {
  // Each start/stop command is killed after this; InnoDB shutdown flushes the buffer
  // pool and startup may run crash recovery, both take minutes on large servers.
  absl::Duration command_timeout = absl::Minutes(10);
  absl::Duration status_timeout = absl::Seconds(30);
  absl::Duration settle = absl::Minutes(5);
  // The longest sleep between status checks; they start at 20 ms and double up to it
  // (common/poll_backoff.h): a state reached at once is seen at once.
  absl::Duration poll_interval = absl::Milliseconds(200);
};

class MariadbServiceController {
 public:
  virtual ~MariadbServiceController() = default;
  virtual std::string kind() const = 0;  // "systemd" | "command" | "none"
  // An error means the state could not be learnt, never "not running".
  virtual absl::StatusOr<MariadbServiceStatus> Status() = 0;
  // Ok only when the command succeeded and Status then agrees. Errors read like
  //   mariadb stop: "systemctl stop mariadb" exited 1: ...
  virtual absl::Status Start() = 0;
  virtual absl::Status Stop() = 0;
};

class SystemdMariadbService : public MariadbServiceController {
 public:
  SystemdMariadbService(std::string service, CommandRunner* runner,
                        MariadbServiceTiming timing = {});
  std::string kind() const override { return "systemd"; }
  absl::StatusOr<MariadbServiceStatus> Status() override;
  absl::Status Start() override;
  absl::Status Stop() override;

 private:
  std::string service_;
  CommandRunner* runner_;
  MariadbServiceTiming timing_;
};

// Status: exit 0 running, 1..125 not running; 126/127 and deaths by signal are errors.
class CommandMariadbService : public MariadbServiceController {
 public:
  CommandMariadbService(std::string start, std::string stop, std::string status,
                        CommandRunner* runner, MariadbServiceTiming timing = {});
  std::string kind() const override { return "command"; }
  absl::StatusOr<MariadbServiceStatus> Status() override;
  absl::Status Start() override;
  absl::Status Stop() override;

 private:
  std::string start_;
  std::string stop_;
  std::string status_;
  CommandRunner* runner_;
  MariadbServiceTiming timing_;
};

// control = none: Status says "not managed"; Start and Stop refuse (FAILED_PRECONDITION):
// unlike keepalived, stopping the database is never a silent no-op.
class NoMariadbService : public MariadbServiceController {
 public:
  std::string kind() const override { return "none"; }
  absl::StatusOr<MariadbServiceStatus> Status() override;
  absl::Status Start() override;
  absl::Status Stop() override;
};

// InvalidArgument naming the key for an unknown control, an invalid unit name, or an
// empty command with control = command. `runner` is not owned; nullptr: a real one.
absl::StatusOr<std::unique_ptr<MariadbServiceController>> MakeMariadbServiceController(
    const MariadbServiceSettings& settings, CommandRunner* runner,
    MariadbServiceTiming timing = {});

// For status: control, and the state Status() reports (an error becomes the detail,
// with managed = true: unknown is never "not running" silently).
void ReportMariadbService(MariadbServiceController& service, v1::MariadbServiceState* out);

}  // namespace mmresync::agent
