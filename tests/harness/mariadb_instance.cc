#include "tests/harness/mariadb_instance.h"

#include "tests/harness/child_process.h"
#include "tests/harness/log_tail.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "tests/harness/ports.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

constexpr size_t kMaxSocketPath = 100;
constexpr int kPortAttempts = 3;

// Finds an executable: $<env_override>, then $PATH, then the usual system directories
// (test runners often have a PATH without /usr/sbin, where Debian puts mariadbd).
absl::StatusOr<std::string> FindBinary(const std::string& name, const char* env_override) {
  if (const char* env = std::getenv(env_override); env != nullptr && env[0] != '\0') {
    if (access(env, X_OK) == 0) return std::string(env);
    return absl::NotFoundError(absl::StrCat("$", env_override, "=", env, " is not executable"));
  }
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    dirs.emplace_back(dir);
  }
  for (const std::string& dir : dirs) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat(name, " not found in $PATH or /usr/sbin, /usr/bin (set $", env_override, ")"));
}

// The "[ERROR]" lines among the last 200 lines of a log, joined by newlines.
// Bootstrap errors go to the log-error file named in my.cnf; mariadb-install-db's own
// output then ends with a page of generic advice.
std::string ErrorLines(const std::string& path, size_t max_lines) {
  const std::string text = TailOfFile(path, 200);
  std::vector<std::string> errors;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StrContains(line, "[ERROR]") && errors.size() < max_lines) {
      errors.emplace_back(line);
    }
  }
  return absl::StrJoin(errors, "\n");
}

absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  // O_CREAT's mode does not apply to an existing file: make sure of it.
  fchmod(fd, mode);
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat("write ", path, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    return absl::InternalError(absl::StrCat("close ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

MariadbInstance::MariadbInstance(MariadbOptions options) : options_(std::move(options)) {
  if (options_.name.empty()) options_.name = absl::StrCat("node", options_.server_id);
  dir_ = absl::StrCat(options_.base_dir, "/", options_.name);
  socket_ = dir_ + "/mysqld.sock";
  cnf_path_ = dir_ + "/my.cnf";
  error_log_ = dir_ + "/error.log";
  stdout_log_ = dir_ + "/mariadbd.out";
  agent_password_file_ = dir_ + "/agent-password";
  repl_password_file_ = dir_ + "/repl-password";
}

MariadbInstance::~MariadbInstance() {
  absl::Status stopped = Stop();
  if (!stopped.ok()) log::Warning(stopped.message());
}

std::string MariadbInstance::describe() const {
  return absl::StrCat("mariadb ", options_.name, " (port ", port_, ")");
}

absl::Status MariadbInstance::Annotated(const absl::Status& status) const {
  return Annotate(status, describe());
}

absl::StatusOr<std::unique_ptr<MariadbInstance>> MariadbInstance::Start(
    const MariadbOptions& options) {
  ASSIGN_OR_RETURN(auto instances, StartAll({options}));
  return std::move(instances[0]);
}

absl::StatusOr<std::vector<std::unique_ptr<MariadbInstance>>> MariadbInstance::StartAll(
    const std::vector<MariadbOptions>& options) {
  // Owned from here: an early return stops whatever was started.
  std::vector<std::unique_ptr<MariadbInstance>> instances;
  for (const MariadbOptions& o : options) {
    if (o.base_dir.empty()) {
      return absl::InvalidArgumentError("MariadbInstance: options.base_dir is empty");
    }
    instances.emplace_back(new MariadbInstance(o));
  }
  for (size_t i = 0; i < instances.size(); ++i) {
    RETURN_IF_ERROR(instances[i]->Prepare());
    // Two bind(0) calls in a row can return the same port: keep them distinct.
    auto taken_by_earlier = [&](int port) {
      for (size_t j = 0; j < i; ++j) {
        if (instances[j]->port_ == port) return true;
      }
      return false;
    };
    while (taken_by_earlier(instances[i]->port_)) {
      RETURN_IF_ERROR(instances[i]->PickPort());
      RETURN_IF_ERROR(instances[i]->WriteCnf());
    }
  }

  // Install concurrently. Until reaped, every install child is killed on early return.
  std::vector<pid_t> installs(instances.size(), -1);
  auto kill_installs = [&installs] {
    for (pid_t& pid : installs) {
      if (pid <= 0) continue;
      kill(pid, SIGKILL);
      (void)WaitForExit(pid, absl::Seconds(30), "killed mariadb-install-db");
      pid = -1;
    }
  };
  const absl::Time started = absl::Now();
  for (size_t i = 0; i < instances.size(); ++i) {
    absl::StatusOr<pid_t> pid = instances[i]->SpawnInstall();
    if (!pid.ok()) {
      kill_installs();
      return pid.status();
    }
    installs[i] = *pid;
  }
  for (size_t i = 0; i < instances.size(); ++i) {
    const pid_t pid = std::exchange(installs[i], -1);
    absl::Status installed = instances[i]->FinishInstall(pid, started);
    if (!installed.ok()) {
      kill_installs();
      return installed;
    }
  }

  for (auto& instance : instances) RETURN_IF_ERROR(instance->Launch());
  return instances;
}

absl::Status MariadbInstance::Prepare() {
  if (socket_.size() >= kMaxSocketPath) {
    return absl::InvalidArgumentError(absl::StrCat(
        describe(), ": socket path ", socket_, " is ", socket_.size(),
        " characters; keep it under ", kMaxSocketPath, " (use a shorter base_dir or $TMPDIR)"));
  }
  RETURN_IF_ERROR(Annotated(MakeDir(dir_)));
  RETURN_IF_ERROR(Annotated(MakeDir(dir_ + "/tmp")));
  RETURN_IF_ERROR(PickPort());
  return WriteCnf();
}

absl::Status MariadbInstance::PickPort() {
  // Never 0: port=0 in my.cnf would mean the default 3306, the system server's port.
  port_ = FreeLoopbackPort();
  if (port_ <= 0) {
    return absl::UnavailableError(absl::StrCat(describe(), ": no free loopback port"));
  }
  return absl::OkStatus();
}

absl::Status MariadbInstance::Launch() {
  const absl::Time started = absl::Now();
  for (int attempt = 1;; ++attempt) {
    bool port_in_use = false;
    absl::Status launched = LaunchAndWait(&port_in_use);
    if (launched.ok()) break;
    if (!port_in_use || attempt == kPortAttempts) return launched;
    // Lost the race for the port to another process: try a new one.
    log::Warning(describe(), ": port was taken by another process, retrying with a new one");
    RETURN_IF_ERROR(PickPort());
    RETURN_IF_ERROR(WriteCnf());
  }
  startup_duration_ = absl::Now() - started;
  RETURN_IF_ERROR(CreateAccounts());
  log::Info(describe(), " ready in ", dir_, " (pid ", pid_, ", install ",
            absl::FormatDuration(install_duration_), ", start ",
            absl::FormatDuration(startup_duration_), ")");
  return absl::OkStatus();
}

absl::Status MariadbInstance::WriteCnf() {
  std::vector<std::string> lines = {
      "# Written by the mmresync test harness; the server reads no other option file.",
      "[client]",
      absl::StrCat("socket=", socket_),
      "user=root",
      "",
      "[mysqld]",
      "user=root",
      absl::StrCat("datadir=", data_dir()),
      absl::StrCat("tmpdir=", dir_, "/tmp"),
      absl::StrCat("socket=", socket_),
      absl::StrCat("port=", port_),
      "bind-address=127.0.0.1",
      absl::StrCat("pid-file=", dir_, "/mariadbd.pid"),
      absl::StrCat("log-error=", error_log_),
      absl::StrCat("server-id=", options_.server_id),
      absl::StrCat("gtid_domain_id=", options_.server_id),
      "log-bin=mysql-bin",
      "log-slave-updates=ON",
      "binlog_format=ROW",
      "relay-log=relay-bin",
      absl::StrCat("auto_increment_increment=", options_.auto_increment_increment),
      absl::StrCat("auto_increment_offset=", options_.auto_increment_offset),
      "skip-name-resolve",
      "innodb_buffer_pool_size=64M",
      "innodb_log_file_size=48M",
      "max_allowed_packet=64M",
      "character-set-server=utf8mb4",
      "collation-server=utf8mb4_unicode_ci",
  };
  for (const std::string& line : options_.extra_cnf_lines) lines.push_back(line);
  lines.emplace_back("");
  return Annotated(WriteFile(cnf_path_, absl::StrJoin(lines, "\n"), 0644));
}

absl::StatusOr<pid_t> MariadbInstance::SpawnInstall() {
  ASSIGN_OR_RETURN(std::string install, FindBinary("mariadb-install-db", "MMRESYNC_INSTALL_DB"));
  absl::StatusOr<pid_t> pid =
      SpawnChild({install, absl::StrCat("--defaults-file=", cnf_path_),
                  "--auth-root-authentication-method=normal", "--skip-test-db"},
                 dir_ + "/install.log");
  if (!pid.ok()) return Annotated(pid.status());
  return pid;
}

absl::Status MariadbInstance::FinishInstall(pid_t pid, absl::Time started) {
  const std::string log_path = dir_ + "/install.log";
  absl::StatusOr<int> exited =
      WaitForExit(pid, options_.install_timeout, absl::StrCat("mariadb-install-db of ", name()));
  if (!exited.ok()) {
    kill(pid, SIGKILL);
    (void)WaitForExit(pid, absl::Seconds(30), "killed mariadb-install-db");
    return Annotated(absl::DeadlineExceededError(
        absl::StrCat(exited.status().message(), "; ", log_path, ":\n", TailOfFile(log_path, 20))));
  }
  install_duration_ = absl::Now() - started;
  if (!WIFEXITED(*exited) || WEXITSTATUS(*exited) != 0) {
    std::string errors = ErrorLines(error_log_, 10);
    std::string where = error_log_;
    if (errors.empty()) {
      errors = TailOfFile(log_path, 20);
      where = log_path;
    }
    return absl::InternalError(absl::StrCat(describe(), ": mariadb-install-db ",
                                            DescribeWaitStatus(*exited), "; ", where, ":\n",
                                            errors));
  }
  return absl::OkStatus();
}

absl::Status MariadbInstance::LaunchAndWait(bool* port_in_use) {
  *port_in_use = false;
  ASSIGN_OR_RETURN(std::string mariadbd, FindBinary("mariadbd", "MMRESYNC_MARIADBD"));
  // --defaults-file must be the first argument, or /etc/mysql would be read as well.
  ASSIGN_OR_RETURN(
      pid_, SpawnChild({mariadbd, absl::StrCat("--defaults-file=", cnf_path_)}, stdout_log_));
  paused_ = false;

  int wait_status = 0;
  bool exited = false;
  absl::Status last = absl::UnknownError("not tried");
  absl::Status waited = WaitUntil(
      [&] {
        if (ReapIfExited(&wait_status)) {
          exited = true;
          return true;
        }
        agent::DbConnectParams params = RootParams();
        params.connect_timeout_s = 5;
        auto session = agent::MariadbSession::Connect(params);
        last = session.status();
        return session.ok();
      },
      options_.startup_timeout, absl::Milliseconds(100),
      absl::StrCat(describe(), " to accept connections on ", socket_));
  if (exited) {
    const std::string tail = error_log_tail(25);
    *port_in_use = tail.find("Address already in use") != std::string::npos;
    return absl::InternalError(absl::StrCat(describe(), ": mariadbd ",
                                            DescribeWaitStatus(wait_status), " during startup; ",
                                            error_log_, ":\n", tail));
  }
  if (!waited.ok()) {
    std::string message = absl::StrCat(waited.message(), "; last error: ", last.message(), "; ",
                                       error_log_, ":\n", error_log_tail(25));
    absl::Status stopped = Kill();
    if (!stopped.ok()) absl::StrAppend(&message, "\n", stopped.message());
    return absl::DeadlineExceededError(message);
  }
  return absl::OkStatus();
}

absl::Status MariadbInstance::CreateAccounts() {
  ASSIGN_OR_RETURN(std::unique_ptr<agent::MariadbSession> session, Connect());
  auto account = [&](const std::string& user, const char* host) {
    return absl::StrCat(agent::QuoteString(*session, user), "@",
                        agent::QuoteString(*session, host));
  };
  std::vector<std::string> statements = {"SET SESSION sql_log_bin=0"};
  for (const char* host : {"localhost", "127.0.0.1"}) {
    const std::string agent_account = account(options_.agent_user, host);
    statements.push_back(absl::StrCat("CREATE USER ", agent_account, " IDENTIFIED BY ",
                                      agent::QuoteString(*session, options_.agent_password)));
    statements.push_back(
        absl::StrCat("GRANT ALL PRIVILEGES ON *.* TO ", agent_account, " WITH GRANT OPTION"));
    const std::string repl_account = account(options_.repl_user, host);
    statements.push_back(absl::StrCat("CREATE USER ", repl_account, " IDENTIFIED BY ",
                                      agent::QuoteString(*session, options_.repl_password)));
    statements.push_back(
        absl::StrCat("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ", repl_account));
  }
  for (const std::string& statement : statements) {
    // The statements carry passwords: say which step failed, never the statement.
    absl::Status executed = session->Execute(statement);
    if (!executed.ok()) {
      return Annotated(Annotate(executed, "creating test accounts"));
    }
  }
  RETURN_IF_ERROR(Annotated(WriteFile(agent_password_file_, options_.agent_password + "\n", 0600)));
  RETURN_IF_ERROR(Annotated(WriteFile(repl_password_file_, options_.repl_password + "\n", 0600)));
  return absl::OkStatus();
}

agent::DbConnectParams MariadbInstance::RootParams() const {
  agent::DbConnectParams params;
  params.socket = socket_;
  params.user = "root";
  params.connect_timeout_s = 10;
  params.read_timeout_s = 600;
  return params;
}

agent::DbConnectParams MariadbInstance::AgentParams() const {
  agent::DbConnectParams params = RootParams();
  params.user = options_.agent_user;
  params.password = options_.agent_password;
  return params;
}

absl::StatusOr<std::unique_ptr<agent::MariadbSession>> MariadbInstance::Connect() const {
  auto session = agent::MariadbSession::Connect(RootParams());
  if (!session.ok()) return Annotated(session.status());
  return session;
}

std::string MariadbInstance::error_log_tail(size_t lines) const {
  return TailOfFile(error_log_, lines);
}

bool MariadbInstance::ReapIfExited(int* wait_status) {
  if (pid_ <= 0) return true;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    if (wait_status != nullptr) *wait_status = status;
    pid_ = -1;
    paused_ = false;
    return true;
  }
  return false;
}

bool MariadbInstance::running() { return !ReapIfExited(nullptr); }

pid_t MariadbInstance::adopted_pid() const {
  std::ifstream pid_file(absl::StrCat(dir_, "/mariadbd.pid"));
  long pid = -1;
  if (!(pid_file >> pid) || pid <= 1) return -1;
  if (pid == pid_) return -1;  // our own child, handled by pid_
  // Only a mariadbd started with this instance's my.cnf is ours to signal.
  std::ifstream cmdline(absl::StrCat("/proc/", pid, "/cmdline"));
  std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  if (!absl::StrContains(args, "mariadbd") ||
      !absl::StrContains(args, absl::StrCat("--defaults-file=", cnf_path_))) {
    return -1;
  }
  return static_cast<pid_t>(pid);
}

absl::Status MariadbInstance::StopAdopted(int signal) {
  const pid_t pid = adopted_pid();
  if (pid <= 0) return absl::OkStatus();
  kill(pid, SIGCONT);
  if (kill(pid, signal) != 0) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + options_.shutdown_timeout;
  while (kill(pid, 0) == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  if (kill(pid, 0) == 0) {
    kill(pid, SIGKILL);
    const absl::Time killed = absl::Now() + absl::Seconds(30);
    while (kill(pid, 0) == 0 && absl::Now() < killed) absl::SleepFor(absl::Milliseconds(50));
    return absl::InternalError(
        absl::StrCat(describe(), ": mariadbd pid ", pid, " (service script) needed SIGKILL"));
  }
  return absl::OkStatus();
}

absl::Status MariadbInstance::WriteServiceScripts() {
  ASSIGN_OR_RETURN(std::string mariadbd, FindBinary("mariadbd", "MMRESYNC_MARIADBD"));
  const std::string pid_file = absl::StrCat(dir_, "/mariadbd.pid");
  // "alive": the PID exists and is not a zombie (the harness may not have reaped the
  // server it started itself yet).
  const std::string alive = absl::StrCat(
      "alive() { [ -n \"$1\" ] && [ -r /proc/$1/stat ] && "
      "! grep -q '^[0-9]* ([^)]*) Z' /proc/$1/stat; }\n");
  const std::string start = absl::StrCat(
      "#!/bin/sh\n# Written by the mmresync test harness: starts this instance's mariadbd\n"
      "# detached, as a service manager would.\n",
      "setsid ", mariadbd, " --defaults-file=", cnf_path_, " $MMRESYNC_MARIADBD_OPTIONS >>",
      stdout_log_, " 2>&1 </dev/null &\n", "exit 0\n");
  const std::string stop = absl::StrCat(
      "#!/bin/sh\n", alive, "pid=$(cat ", pid_file, " 2>/dev/null)\n",
      "mariadb-admin --defaults-file=", cnf_path_, " --connect-timeout=5 shutdown || exit $?\n",
      "i=0; while alive \"$pid\" && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\n");
  const std::string status = absl::StrCat(
      "#!/bin/sh\n", alive, "pid=$(cat ", pid_file, " 2>/dev/null) || { echo stopped; exit 3; }\n",
      "if alive \"$pid\"; then echo \"running (pid $pid)\"; exit 0; fi\n",
      "echo \"stopped (pid $pid gone)\"; exit 3\n");
  RETURN_IF_ERROR(Annotated(WriteFile(service_command("start"), start, 0755)));
  RETURN_IF_ERROR(Annotated(WriteFile(service_command("stop"), stop, 0755)));
  return Annotated(WriteFile(service_command("status"), status, 0755));
}

absl::Status MariadbInstance::Stop() {
  int wait_status = 0;
  if (ReapIfExited(&wait_status)) return StopAdopted(SIGTERM);
  const pid_t pid = pid_;
  // A stopped process would not act on SIGTERM.
  if (paused_) kill(pid, SIGCONT);
  paused_ = false;
  if (kill(pid, SIGTERM) != 0) {
    return absl::InternalError(
        absl::StrCat(describe(), ": SIGTERM to pid ", pid, ": ", std::strerror(errno)));
  }
  absl::StatusOr<int> exited = WaitForExit(
      pid, options_.shutdown_timeout, absl::StrCat(describe(), " (pid ", pid, ") to shut down"));
  if (!exited.ok()) {
    kill(pid, SIGKILL);
    absl::StatusOr<int> killed = WaitForExit(pid, absl::Seconds(30), "mariadbd after SIGKILL");
    pid_ = killed.ok() ? -1 : pid_;
    return absl::InternalError(absl::StrCat(exited.status().message(), "; killed it with SIGKILL; ",
                                            error_log_, ":\n", error_log_tail(15)));
  }
  pid_ = -1;
  if (!WIFEXITED(*exited) || WEXITSTATUS(*exited) != 0) {
    return absl::InternalError(absl::StrCat(describe(), ": mariadbd (pid ", pid, ") ",
                                            DescribeWaitStatus(*exited), " on shutdown; ",
                                            error_log_, ":\n", error_log_tail(15)));
  }
  return absl::OkStatus();
}

absl::Status MariadbInstance::Kill() {
  if (ReapIfExited(nullptr)) return StopAdopted(SIGKILL);
  const pid_t pid = pid_;
  if (kill(pid, SIGKILL) != 0) {
    return absl::InternalError(
        absl::StrCat(describe(), ": SIGKILL to pid ", pid, ": ", std::strerror(errno)));
  }
  absl::StatusOr<int> exited =
      WaitForExit(pid, absl::Seconds(30), absl::StrCat(describe(), " to die after SIGKILL"));
  if (!exited.ok()) return Annotated(exited.status());
  pid_ = -1;
  paused_ = false;
  return absl::OkStatus();
}

absl::Status MariadbInstance::Restart() {
  if (running()) {
    return absl::FailedPreconditionError(
        absl::StrCat(describe(), ": Restart() while running (pid ", pid_, "); Stop() first"));
  }
  bool port_in_use = false;
  absl::Status launched = LaunchAndWait(&port_in_use);
  if (port_in_use) {
    // The peer's CHANGE MASTER names this port, so it cannot move.
    return Annotate(launched, "port taken by another process meanwhile");
  }
  return launched;
}

absl::Status MariadbInstance::Pause() {
  if (!running()) return absl::FailedPreconditionError(describe() + ": not running");
  if (kill(pid_, SIGSTOP) != 0) {
    return absl::InternalError(absl::StrCat(describe(), ": SIGSTOP: ", std::strerror(errno)));
  }
  paused_ = true;
  return absl::OkStatus();
}

absl::Status MariadbInstance::Resume() {
  if (!running()) return absl::FailedPreconditionError(describe() + ": not running");
  if (kill(pid_, SIGCONT) != 0) {
    return absl::InternalError(absl::StrCat(describe(), ": SIGCONT: ", std::strerror(errno)));
  }
  paused_ = false;
  return absl::OkStatus();
}

}  // namespace mmresync::testing
