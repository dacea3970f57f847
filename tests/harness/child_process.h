#pragma once

// Starting and reaping the harness's child processes (mariadbd, mariadb-install-db,
// mmresync-agent): one fork/exec with the guarantees every test relies on.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mmresync::testing {

// fork/exec `argv` (argv[0] an absolute path) with stdin from /dev/null and stdout and
// stderr appended to `output_path` (created with `mode`). The child dies with the
// calling thread (PR_SET_PDEATHSIG), inherits no descriptors beyond 0-2 and starts with
// no signals blocked. Only async-signal-safe calls run between fork and exec (the test
// process has gRPC threads).
// `env` adds to (or replaces in) the test process's environment.
absl::StatusOr<pid_t> SpawnChild(const std::vector<std::string>& argv,
                                 const std::string& output_path, int mode = 0644,
                                 const std::map<std::string, std::string>& env = {});

// "exited with status 1", "killed by signal 9".
std::string DescribeWaitStatus(int wait_status);

// Waits (bounded polling) for `pid` to exit and reaps it; its wait status.
absl::StatusOr<int> WaitForExit(pid_t pid, absl::Duration timeout, absl::string_view what);

}  // namespace mmresync::testing
