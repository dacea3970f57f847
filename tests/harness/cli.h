#pragma once

// Runs the real `mmresync` CLI this build made (MMRESYNC_CLI_BIN) as a child process:
// argv passed as is (no shell), stdin from /dev/null (so never a TTY: `recover` needs
// --yes), stdout and stderr captured, killed after a bounded timeout.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/subprocess.h"

namespace mmresync::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout (up to 1 MiB)
  std::string err;  // the last 8 KiB of stderr

  // stdout and stderr together, for "the output mentions X" checks.
  std::string output() const { return out + err; }
  // Everything, for assertion messages.
  std::string Describe() const;
};

// `mmresync <args...>`. Fails (DEADLINE_EXCEEDED) only when the CLI did not finish in
// time or could not be started; a non-zero exit is a result, not an error.
absl::StatusOr<CliResult> RunCli(const std::vector<std::string>& args,
                                 absl::Duration timeout = absl::Seconds(300));

// The CLI running in the background, for tests that signal it mid-run (Ctrl-C). Its
// stdout is collected by a thread; destroying a CliProcess that still runs kills it.
class CliProcess {
 public:
  // `env` is added to its environment (fault points: MMRESYNC_FAULT_POINTS, ...).
  static absl::StatusOr<std::unique_ptr<CliProcess>> Start(
      const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  // Sends `signal` to the CLI (its own process group: the CLI only), as a terminal's
  // Ctrl-C (SIGINT) would.
  void Signal(int signal);
  // stdout so far.
  std::string out();
  // The end of its stderr so far (the Subprocess's bounded tail).
  std::string err_tail() { return child_.StderrTail(); }
  // The CLI's process id (what the agents' leases name as the coordinator's pid).
  pid_t pid() const { return child_.pid(); }
  // Waits (bounded) for the CLI to exit; DEADLINE_EXCEEDED (and the CLI killed) if it
  // does not.
  absl::StatusOr<CliResult> Wait(absl::Duration timeout = absl::Seconds(300));

 private:
  CliProcess() = default;

  Subprocess child_;
  std::thread reader_;
  absl::Mutex mu_;
  std::string out_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mmresync::testing
