#pragma once

// Control of the local keepalived, the thing that moves the VIP. Fencing a target
// (DESIGN.md, step 4) stops it here and unfencing (step 10) starts it again; discover
// reports its state. The world varies, so there is one interface and one implementation
// per `[keepalived] control` value of agent.toml:
//   systemd  `systemctl start|stop <service>`, state from `systemctl is-active <service>`
//   command  the operator's start/stop/status command lines, each run with /bin/sh -c
//            (they come from the local config file only, never from the wire)
//   none     keepalived is not managed by the agent: nothing is ever run
//
// Start and Stop do not trust an exit code alone: after the command they check Status
// until keepalived is in the wanted state (within KeepalivedTiming::settle), so a stop
// command that exits 0 but leaves keepalived running is an error, not a fenced node.
//
// Thread-safety: the controllers hold no mutable state; every method may be called from
// any thread as long as the CommandRunner allows it (RealCommandRunner does). Callers
// serialise Start against Stop themselves (the agent's lease does).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "common/subprocess.h"

namespace mmresync::agent {

// Process execution behind an interface so unit tests can fake it.
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv (no shell unless argv itself is a ShellCommand) to completion within
  // `timeout`. A non-zero exit is a CommandResult, not an error; errors are for a child
  // that could not be started or did not finish in time.
  virtual absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv,
                                            absl::Duration timeout) = 0;
};

// mmresync::RunCommand. Stateless; thread-safe.
class RealCommandRunner : public CommandRunner {
 public:
  absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv,
                                    absl::Duration timeout) override;
};

struct KeepalivedStatus {
  bool managed = false;  // false only for control = none
  bool running = false;
  std::string detail;  // for humans: "active", "inactive", "failed", the status output...
};

struct KeepalivedTiming {
  // Each command (start, stop, every status check) is killed after this.
  absl::Duration command_timeout = absl::Seconds(30);
  // After a start/stop command exits 0, how long Status may take to agree with it
  // (a `kill` returns before keepalived has removed its addresses and exited).
  absl::Duration settle = absl::Seconds(10);
  // The longest sleep between status checks; they start at 20 ms and double up to it
  // (common/poll_backoff.h): a state reached at once is seen at once.
  absl::Duration poll_interval = absl::Milliseconds(250);
};

class KeepalivedController {
 public:
  virtual ~KeepalivedController() = default;
  // "systemd" | "command" | "none", the control value it was made from.
  virtual std::string kind() const = 0;
  // An error means the state could not be learnt (command missing, timed out, killed),
  // never "not running".
  virtual absl::StatusOr<KeepalivedStatus> Status() = 0;
  // Ok only when the command succeeded and Status then reports running (Start) or not
  // running (Stop). Errors read like
  //   keepalived stop: "systemctl stop keepalived" exited 5: Failed to stop ...
  virtual absl::Status Start() = 0;
  virtual absl::Status Stop() = 0;
};

// `systemctl start|stop <service>`; running iff `systemctl is-active <service>` exits 0,
// detail is its output ("active", "inactive", "failed", ...). A non-zero exit with no
// output (systemctl could not reach systemd) is an error, not "not running".
class SystemdKeepalived : public KeepalivedController {
 public:
  // `service` must be a valid unit name (MakeKeepalivedController checks it); `runner`
  // is not owned and must outlive this object.
  SystemdKeepalived(std::string service, CommandRunner* runner, KeepalivedTiming timing = {});
  std::string kind() const override { return "systemd"; }
  absl::StatusOr<KeepalivedStatus> Status() override;
  absl::Status Start() override;
  absl::Status Stop() override;

 private:
  std::string service_;
  CommandRunner* runner_;
  KeepalivedTiming timing_;
};

// The configured command lines through /bin/sh -c. Status: exit 0 running, 1..125 not
// running; 126/127 (not executable / not found) and deaths by signal are errors, so a
// broken status command can never pass for a stopped keepalived.
class CommandKeepalived : public KeepalivedController {
 public:
  // All three command lines must be non-empty (MakeKeepalivedController checks it).
  CommandKeepalived(std::string start, std::string stop, std::string status, CommandRunner* runner,
                    KeepalivedTiming timing = {});
  std::string kind() const override { return "command"; }
  absl::StatusOr<KeepalivedStatus> Status() override;
  absl::Status Start() override;
  absl::Status Stop() override;

 private:
  std::string start_;
  std::string stop_;
  std::string status_;
  CommandRunner* runner_;
  KeepalivedTiming timing_;
};

// control = none: managed=false, running=false; Start and Stop succeed and run nothing.
// Whether fencing may proceed without keepalived control is the caller's decision (it
// still checks the VIP on the interfaces).
class NoKeepalived : public KeepalivedController {
 public:
  std::string kind() const override { return "none"; }
  absl::StatusOr<KeepalivedStatus> Status() override;
  absl::Status Start() override;
  absl::Status Stop() override;
};

// Builds the controller for settings.control. InvalidArgument naming the key for an
// unknown control value, an invalid systemd unit name, or an empty start/stop/status
// command with control = command. `runner` is not owned and must outlive the
// controller; nullptr means a process-wide RealCommandRunner.
absl::StatusOr<std::unique_ptr<KeepalivedController>> MakeKeepalivedController(
    const KeepalivedSettings& settings, CommandRunner* runner, KeepalivedTiming timing = {});

}  // namespace mmresync::agent
