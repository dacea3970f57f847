#pragma once

// Child processes without a shell: argv is passed as is (never through /bin/sh unless
// the caller asks for it explicitly with ShellCommand), stdin/stdout can be pipes, and
// stderr is always captured (its last 8 KiB) so errors can quote the child's message.
// A Subprocess that is destroyed while running kills its child (SIGKILL) and reaps it.

#include <sys/types.h>
#include "absl/strings/string_view.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mmresync {

struct SubprocessOptions {
  bool pipe_stdin = false;   // else /dev/null
  bool pipe_stdout = false;  // else /dev/null
  std::string working_dir;   // empty: inherit
  // Extra environment entries (NAME -> value) on top of the current environment.
  std::map<std::string, std::string> env;
  // Called with each piece of stderr as it arrives, from the reader thread (the tail is
  // kept as well). For children whose log tells what they are doing (mariadb-backup's
  // BACKUP STAGE lines): the caller timestamps them on arrival.
  std::function<void(absl::string_view)> on_stderr;
};

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv[0] (searched in PATH when it has no '/').
  absl::Status Start(const std::vector<std::string>& argv, const SubprocessOptions& options);

  // Writes all of `data` to the child's stdin. Fails if the child closed it.
  absl::Status WriteStdin(absl::string_view data);
  void CloseStdin();

  // Reads up to `max` bytes from stdout; returns an empty string at EOF.
  absl::StatusOr<std::string> ReadStdout(size_t max);
  // Like ReadStdout, but DEADLINE_EXCEEDED when nothing arrives within `timeout`.
  absl::StatusOr<std::string> ReadStdoutWithin(size_t max, absl::Duration timeout);
  // Reads up to `max` bytes straight into `dst` (no intermediate string; for data
  // streams): the count, 0 at end of output, DEADLINE_EXCEEDED when nothing arrives
  // within `timeout`.
  absl::StatusOr<size_t> ReadStdoutInto(char* dst, size_t max, absl::Duration timeout);

  // Waits for the child to exit and returns its exit status (128+signal if killed).
  // Drains and discards stdout still pending so the child cannot block on it.
  absl::StatusOr<int> Wait();
  // Waits at most `timeout`; DEADLINE_EXCEEDED if still running.
  absl::StatusOr<int> WaitFor(absl::Duration timeout);

  void Kill(int signal);
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exited_; }

  // The last bytes the child wrote on stderr (up to 8 KiB), trimmed.
  std::string StderrTail();

  // Name of the program for messages: basename of argv[0].
  const std::string& name() const { return name_; }

 private:
  // Readable within `timeout`, else DEADLINE_EXCEEDED.
  absl::Status WaitStdout(absl::Duration timeout);
  absl::StatusOr<size_t> ReadStdoutRaw(char* dst, size_t max);
  void StartStderrReader(std::function<void(absl::string_view)> on_stderr);
  void CollectExit(int wait_status);

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::vector<char> read_scratch_;  // ReadStdout's buffer, reused across reads
  int stderr_fd_ = -1;
  std::string name_;
  struct StderrState;
  StderrState* stderr_state_ = nullptr;
};

struct CommandResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs argv to completion, capturing stdout (up to 1 MiB) and stderr's tail, within
// `timeout` (the child is killed after it).
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout);

// argv for running an operator-configured command line through /bin/sh -c. Used only
// for commands that come from a local config file (keepalived control, hooks).
std::vector<std::string> ShellCommand(const std::string& command_line);

}  // namespace mmresync
