#include "tests/harness/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {

absl::StatusOr<pid_t> SpawnChild(const std::vector<std::string>& argv,
                                 const std::string& output_path, int mode,
                                 const std::map<std::string, std::string>& env) {
  // Everything the child needs is prepared before fork.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_entries;
  for (char** e = environ; *e != nullptr; ++e) {
    const absl::string_view entry(*e);
    const absl::string_view name = entry.substr(0, entry.find('='));
    if (env.count(std::string(name)) == 0) env_entries.emplace_back(entry);
  }
  for (const auto& [name, value] : env) env_entries.push_back(absl::StrCat(name, "=", value));
  std::vector<char*> envp;
  envp.reserve(env_entries.size() + 1);
  for (std::string& entry : env_entries) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  if (out < 0) {
    return absl::InternalError(absl::StrCat("open ", output_path, ": ", std::strerror(errno)));
  }
  const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    close(out);
    return absl::InternalError(absl::StrCat("open /dev/null: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(out);
    close(in);
    return absl::InternalError(absl::StrCat("fork for ", argv[0], ": ", std::strerror(err)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(out, STDERR_FILENO) < 0) {
      _exit(126);
    }
    close_range(3, ~0U, 0);
    // The agent sigwaits for SIGTERM itself; whatever the test process blocks must not
    // be inherited.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    static const char kMessage[] = "exec failed\n";
    (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    _exit(127);
  }
  close(out);
  close(in);
  return pid;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return absl::StrCat("killed by signal ", WTERMSIG(wait_status));
  return absl::StrCat("wait status ", wait_status);
}

absl::StatusOr<int> WaitForExit(pid_t pid, absl::Duration timeout, absl::string_view what) {
  int wait_status = 0;
  absl::Status waited = WaitUntil(
      [&] {
        const pid_t r = waitpid(pid, &wait_status, WNOHANG);
        return r == pid || (r < 0 && errno == ECHILD);
      },
      timeout, absl::Milliseconds(20), what);
  if (!waited.ok()) return waited;
  return wait_status;
}

}  // namespace mmresync::testing
