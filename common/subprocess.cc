#include "common/subprocess.h"
#include "absl/strings/string_view.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/poll_backoff.h"
#include "common/status_macros.h"

extern char** environ;

namespace mmresync {
namespace {

constexpr int kDataPipeBytes = 1 << 20;

constexpr size_t kStderrTailBytes = 8192;

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

// The stderr reader runs on its own thread so a child that fills its stderr pipe can
// never block while we are busy with its stdout or stdin.
struct Subprocess::StderrState {
  absl::Mutex mu;
  std::string tail;
  std::thread reader;
};

Subprocess::~Subprocess() {
  if (running()) {
    Kill(SIGKILL);
    (void)Wait();
  }
  CloseFd(stdin_fd_);
  CloseFd(stdout_fd_);
  if (stderr_state_ != nullptr) {
    if (stderr_state_->reader.joinable()) stderr_state_->reader.join();
    delete stderr_state_;
  }
  CloseFd(stderr_fd_);
}

absl::Status Subprocess::Start(const std::vector<std::string>& argv,
                               const SubprocessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("subprocess: empty argv");
  if (pid_ > 0) return absl::FailedPreconditionError("subprocess: already started");
  name_ = Basename(argv[0]);

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (options.pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) return ErrnoStatus("pipe");
  if (options.pipe_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoStatus("pipe");
  // Data pipes (a backup or dump stream of many GB) move in 1 MiB steps instead of the
  // default 64 KiB: a sixteenth of the reads, writes and wake-ups. Best effort: the
  // kernel may cap it (fs.pipe-max-size), and the default works too.
  if (options.pipe_stdin) (void)::fcntl(in_pipe[1], F_SETPIPE_SZ, kDataPipeBytes);
  if (options.pipe_stdout) (void)::fcntl(out_pipe[0], F_SETPIPE_SZ, kDataPipeBytes);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoStatus("pipe");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.pipe_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  if (options.pipe_stdout) {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }
  // The child inherits its three standard descriptors and nothing else: not the agent's
  // authenticated database sockets, gRPC's sockets, or a file some library opened
  // without O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);

  // The child starts with default signal dispositions and an empty mask, whatever the
  // parent (a gRPC server with its own threads) has set.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  // Its own process group, so a kill reaches what a shell child started too.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    absl::string_view entry(*e);
    absl::string_view key = entry.substr(0, entry.find('='));
    if (options.env.count(std::string(key)) == 0) env_storage.emplace_back(entry);
  }
  for (const auto& [key, value] : options.env) env_storage.push_back(absl::StrCat(key, "=", value));
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);

  if (options.pipe_stdin) ::close(in_pipe[0]);
  if (options.pipe_stdout) ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    if (options.pipe_stdin) ::close(in_pipe[1]);
    if (options.pipe_stdout) ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  pid_ = pid;
  exited_ = false;
  stdin_fd_ = options.pipe_stdin ? in_pipe[1] : -1;
  stdout_fd_ = options.pipe_stdout ? out_pipe[0] : -1;
  stderr_fd_ = err_pipe[0];
  StartStderrReader(options.on_stderr);
  return absl::OkStatus();
}

void Subprocess::StartStderrReader(std::function<void(absl::string_view)> on_stderr) {
  stderr_state_ = new StderrState;
  int fd = stderr_fd_;
  StderrState* state = stderr_state_;
  state->reader = std::thread([fd, state, on_stderr = std::move(on_stderr)] {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (on_stderr) on_stderr(absl::string_view(buf, static_cast<size_t>(n)));
      absl::MutexLock lock(&state->mu);
      state->tail.append(buf, static_cast<size_t>(n));
      if (state->tail.size() > 2 * kStderrTailBytes) {
        state->tail.erase(0, state->tail.size() - kStderrTailBytes);
      }
    }
  });
}

absl::Status Subprocess::WriteStdin(absl::string_view data) {
  if (stdin_fd_ < 0) return absl::FailedPreconditionError(name_ + ": stdin is not a pipe");
  while (!data.empty()) {
    ssize_t n = ::write(stdin_fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno == EPIPE) {
        return absl::AbortedError(absl::StrCat(name_, " closed its input early"));
      }
      return ErrnoStatus(absl::StrCat(name_, ": write to stdin"));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

void Subprocess::CloseStdin() { CloseFd(stdin_fd_); }

absl::StatusOr<std::string> Subprocess::ReadStdout(size_t max) {
  if (stdout_fd_ < 0) return std::string();
  // One scratch buffer per child: a fresh zero-filled `max` per read cost a 1 MiB memset
  // for every 64 KiB a pipe delivered (most of an agent's CPU on a backup stream).
  if (read_scratch_.size() < max) read_scratch_.resize(max);
  ASSIGN_OR_RETURN(size_t n, ReadStdoutRaw(read_scratch_.data(), max));
  return std::string(read_scratch_.data(), n);
}

absl::StatusOr<size_t> Subprocess::ReadStdoutRaw(char* dst, size_t max) {
  for (;;) {
    ssize_t n = ::read(stdout_fd_, dst, max);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(absl::StrCat(name_, ": read stdout"));
    return static_cast<size_t>(n);
  }
}

absl::Status Subprocess::WaitStdout(absl::Duration timeout) {
  pollfd pfd{stdout_fd_, POLLIN, 0};
  int ms = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout)));
  int r = ::poll(&pfd, 1, ms);
  if (r < 0 && errno != EINTR) return ErrnoStatus(absl::StrCat(name_, ": poll stdout"));
  if (r <= 0) return absl::DeadlineExceededError(absl::StrCat(name_, ": no output yet"));
  return absl::OkStatus();
}

void Subprocess::CollectExit(int wait_status) {
  exited_ = true;
  if (WIFEXITED(wait_status)) {
    exit_code_ = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    exit_code_ = 128 + WTERMSIG(wait_status);
  }
  if (stderr_state_ != nullptr && stderr_state_->reader.joinable()) {
    stderr_state_->reader.join();
  }
}

absl::StatusOr<int> Subprocess::Wait() {
  if (pid_ <= 0) return absl::FailedPreconditionError("subprocess: not started");
  if (exited_) return exit_code_;
  CloseStdin();
  // Drain stdout so a child blocked on a full pipe can finish.
  if (stdout_fd_ >= 0) {
    char buf[65536];
    while (true) {
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
    }
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus("waitpid");
  }
  CollectExit(status);
  return exit_code_;
}

absl::StatusOr<int> Subprocess::WaitFor(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("subprocess: not started");
  if (exited_) return exit_code_;
  absl::Time deadline = absl::Now() + timeout;
  // A waitpid every 20 ms costs nothing; a 100 ms step cost ~50 ms on average after each
  // service stop/start, status check and prepare the physical method waits for.
  PollBackoff backoff(absl::Milliseconds(20), absl::Milliseconds(5));
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      CollectExit(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) return ErrnoStatus("waitpid");
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          name_, " (pid ", pid_, ") still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(backoff.Next(left));
  }
}

void Subprocess::Kill(int signal) {
  // The group id is the child's pid (setpgroup 0): only processes we started.
  if (running()) ::kill(-pid_, signal);
}

std::string Subprocess::StderrTail() {
  if (stderr_state_ == nullptr) return "";
  absl::MutexLock lock(&stderr_state_->mu);
  absl::string_view tail = stderr_state_->tail;
  if (tail.size() > kStderrTailBytes) tail = tail.substr(tail.size() - kStderrTailBytes);
  return std::string(absl::StripAsciiWhitespace(tail));
}

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  Subprocess child;
  SubprocessOptions options;
  options.pipe_stdout = true;
  if (absl::Status s = child.Start(argv, options); !s.ok()) return s;
  CommandResult result;
  absl::Time deadline = absl::Now() + timeout;
  constexpr size_t kMaxStdout = 1 << 20;
  // poll() before each read so the timeout holds even if the child never writes.
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      child.Kill(SIGKILL);
      (void)child.Wait();
      return absl::DeadlineExceededError(absl::StrCat("\"", absl::StrJoin(argv, " "),
                                                      "\" did not finish within ",
                                                      absl::FormatDuration(timeout)));
    }
    auto chunk = child.ReadStdoutWithin(65536, left);
    if (!chunk.ok()) {
      if (absl::IsDeadlineExceeded(chunk.status())) continue;
      return chunk.status();
    }
    if (chunk->empty()) break;
    if (result.stdout_text.size() < kMaxStdout) result.stdout_text.append(*chunk);
  }
  absl::Duration left = std::max(deadline - absl::Now(), absl::Milliseconds(1));
  auto code = child.WaitFor(left);
  if (!code.ok()) {
    child.Kill(SIGKILL);
    (void)child.Wait();
    return absl::DeadlineExceededError(absl::StrCat("\"", absl::StrJoin(argv, " "),
                                                    "\" did not finish within ",
                                                    absl::FormatDuration(timeout)));
  }
  result.exit_code = *code;
  result.stderr_text = child.StderrTail();
  return result;
}

absl::StatusOr<std::string> Subprocess::ReadStdoutWithin(size_t max, absl::Duration timeout) {
  if (stdout_fd_ < 0) return std::string();
  RETURN_IF_ERROR(WaitStdout(timeout));
  return ReadStdout(max);
}

absl::StatusOr<size_t> Subprocess::ReadStdoutInto(char* dst, size_t max, absl::Duration timeout) {
  if (stdout_fd_ < 0) return 0;
  RETURN_IF_ERROR(WaitStdout(timeout));
  return ReadStdoutRaw(dst, max);
}

std::vector<std::string> ShellCommand(const std::string& command_line) {
  return {"/bin/sh", "-c", command_line};
}

}  // namespace mmresync
