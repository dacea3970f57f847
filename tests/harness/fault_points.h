#pragma once

// Arming the agents' and the coordinator's fault points (common/fault_point.h) from a
// test: each arming gets its own marker directory, the armed process's environment
// names it, and the test waits for <point>.hit there instead of guessing when the
// process got to the place.

#include <sys/types.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/harness/agent_process.h"

namespace mmresync::testing {

class FaultPoints {
 public:
  // `dir` is created (it must not be shared with another arming).
  explicit FaultPoints(std::string dir);

  // The environment that arms `spec` ("step_done:phase1=kill;...") in one process.
  std::map<std::string, std::string> Env(const std::string& spec) const;

  // Restarts `agent` armed with `spec`. Only this start is armed: a later Restart() of
  // the agent (after a kill, or by a suite's repair) runs unarmed.
  absl::Status ArmAgent(AgentProcess& agent, const std::string& spec) const;

  // Blocks until `point` fired (its .hit marker exists); bounded by `timeout`.
  absl::Status WaitHit(const std::string& point, absl::Duration timeout) const;
  bool Hit(const std::string& point) const;
  // Lets a `pause`d point go on.
  absl::Status Release(const std::string& point) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Blocks until `pid` is stopped (state T in /proc/<pid>/stat): a `stop` fault point
// fired, or a SIGSTOP arrived.
absl::Status WaitStopped(pid_t pid, absl::Duration timeout);

}  // namespace mmresync::testing
