#pragma once

// One real mariadbd for integration tests, in a private directory:
//
//   <base_dir>/<name>/my.cnf          the only option file the server reads
//   <base_dir>/<name>/data/           datadir (binlogs mysql-bin.*, relay logs relay-bin.*)
//   <base_dir>/<name>/mysqld.sock     unix socket (root@localhost, empty password)
//   <base_dir>/<name>/error.log       the server's log-error
//   <base_dir>/<name>/mariadbd.out    the server's stdout/stderr
//   <base_dir>/<name>/install.log     mariadb-install-db output
//   <base_dir>/<name>/agent-password  the agent account's password (0600, one line)
//   <base_dir>/<name>/repl-password   the replication account's password (0600, one line)
//
// The server listens on 127.0.0.1:<free port> and the socket. Its configuration is what
// a production master-master node typically has (ROW binlog, log-slave-updates,
// auto_increment offset/increment, utf8mb4_unicode_ci, skip-name-resolve); replication
// threads start with the server (no skip-slave-start), as in production.
//
// Accounts created at start (with sql_log_bin=0, so they never replicate):
//   <agent_user>@localhost and @127.0.0.1: ALL PRIVILEGES WITH GRANT OPTION
//   <repl_user>@localhost and @127.0.0.1:  REPLICATION SLAVE, REPLICATION CLIENT
//
// Process ownership: the instance starts exactly one mariadbd (fork/exec) and only ever
// signals that PID. The destructor stops it (SIGTERM, bounded wait, then SIGKILL). The
// child also gets PR_SET_PDEATHSIG=SIGKILL, so a crashed test process does not leave a
// server behind. That signal fires when the *thread* that called Start()/Restart()
// exits: start instances from a thread that outlives them (the test's main thread).
//
// Service scripts (for [mariadb.service] control = "command", the physical method):
// WriteServiceScripts() writes <dir>/service-{start,stop,status}.sh. start launches
// mariadbd with the same my.cnf, detached (setsid, its own session, not this process's
// child) plus $MMRESYNC_MARIADBD_OPTIONS; stop is `mariadb-admin shutdown`; status
// checks the PID in <dir>/mariadbd.pid. A server started that way is still this
// instance's to clean up: Stop()/Kill()/the destructor signal the PID its pid file
// names, after checking /proc/<pid>/cmdline is a mariadbd with this my.cnf.
//
// Not thread-safe.

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/db_session.h"
#include "agent/mariadb_session.h"

namespace mmresync::testing {

struct MariadbOptions {
  // Required. The instance lives in <base_dir>/<name>; the socket path must stay under
  // 100 characters, so keep base_dir short (TempDir under /tmp is).
  std::string base_dir;
  // Defaults to "node<server_id>".
  std::string name;
  int server_id = 1;
  int auto_increment_offset = 1;
  int auto_increment_increment = 2;
  // Appended verbatim to the [mysqld] group (e.g. "replicate-ignore-db=scratch").
  std::vector<std::string> extra_cnf_lines;

  std::string agent_user = "mmresync_agent";
  std::string agent_password = "agent-Pw.7f3k";
  std::string repl_user = "repl";
  std::string repl_password = "repl-Pw.q81z";

  // Generous: a loaded 2-core machine can take tens of seconds for InnoDB start.
  absl::Duration install_timeout = absl::Seconds(180);
  absl::Duration startup_timeout = absl::Seconds(120);
  absl::Duration shutdown_timeout = absl::Seconds(60);
};

class MariadbInstance {
 public:
  // Writes my.cnf, runs mariadb-install-db, starts mariadbd, waits until root can
  // connect over the socket, creates the accounts and password files. On failure the
  // status names the instance and carries the tail of the relevant log; anything
  // already started is stopped.
  static absl::StatusOr<std::unique_ptr<MariadbInstance>> Start(const MariadbOptions& options);
  // Like Start for several instances, running their mariadb-install-db concurrently
  // (it mostly waits for the disk: two in parallel take about as long as one). Names
  // and base dirs must make the instance directories distinct.
  static absl::StatusOr<std::vector<std::unique_ptr<MariadbInstance>>> StartAll(
      const std::vector<MariadbOptions>& options);

  ~MariadbInstance();
  MariadbInstance(const MariadbInstance&) = delete;
  MariadbInstance& operator=(const MariadbInstance&) = delete;

  // "mariadb node1 (port 41234)": how every message names this instance.
  std::string describe() const;

  const std::string& name() const { return options_.name; }
  int server_id() const { return options_.server_id; }
  const std::string& dir() const { return dir_; }
  std::string data_dir() const { return dir_ + "/data"; }
  const std::string& socket() const { return socket_; }
  std::string host() const { return "127.0.0.1"; }
  int port() const { return port_; }
  const std::string& cnf_path() const { return cnf_path_; }
  const std::string& error_log_path() const { return error_log_; }
  // The running server's PID, or -1 when stopped.
  pid_t pid() const { return pid_; }
  // True while the server process exists (reaps it if it has exited).
  bool running();

  const std::string& agent_user() const { return options_.agent_user; }
  const std::string& agent_password() const { return options_.agent_password; }
  const std::string& agent_password_file() const { return agent_password_file_; }
  const std::string& repl_user() const { return options_.repl_user; }
  const std::string& repl_password() const { return options_.repl_password; }
  const std::string& repl_password_file() const { return repl_password_file_; }

  // root@localhost over the socket, empty password.
  agent::DbConnectParams RootParams() const;
  // The agent's account over the socket, with its password.
  agent::DbConnectParams AgentParams() const;

  // A new root session over the socket. Errors are prefixed with describe().
  absl::StatusOr<std::unique_ptr<agent::MariadbSession>> Connect() const;

  // Last `lines` lines of the server's error log ("" if unreadable).
  std::string error_log_tail(size_t lines = 40) const;

  // How long mariadb-install-db and the first start (until connectable) took.
  absl::Duration install_duration() const { return install_duration_; }
  absl::Duration startup_duration() const { return startup_duration_; }

  // Clean shutdown: SIGTERM, wait up to shutdown_timeout, then SIGKILL. OK when already
  // stopped. An error if the server had to be killed or exited abnormally.
  absl::Status Stop();
  // SIGKILL and reap: a crash, for fault tests.
  absl::Status Kill();
  // Starts the server again (same datadir, port and socket) after Stop()/Kill(), and
  // waits until it accepts connections. Replication threads start with it.
  absl::Status Restart();
  // The service-{start,stop,status}.sh scripts (see above); returns nothing else.
  absl::Status WriteServiceScripts();
  std::string service_command(absl::string_view action) const {
    return absl::StrCat(dir_, "/service-", action, ".sh");
  }
  // The PID of a server started by the service script (not our child), or -1.
  pid_t adopted_pid() const;

  // SIGSTOP / SIGCONT: a hung server whose connections stay open.
  absl::Status Pause();
  absl::Status Resume();

 private:
  explicit MariadbInstance(MariadbOptions options);

  // Directories, a port, my.cnf.
  absl::Status Prepare();
  // A new free loopback port into port_ (never 0).
  absl::Status PickPort();
  absl::Status WriteCnf();
  // mariadb-install-db as a child; FinishInstall waits for it (bounded) and reaps it.
  absl::StatusOr<pid_t> SpawnInstall();
  absl::Status FinishInstall(pid_t pid, absl::Time started);
  // Starts the server, retrying with a new port if the chosen one was taken, then
  // creates the accounts.
  absl::Status Launch();
  // Spawns mariadbd and waits until it is connectable; `*port_in_use` is set when the
  // server exited because its TCP port was taken.
  absl::Status LaunchAndWait(bool* port_in_use);
  absl::Status CreateAccounts();
  // Reaps the server if it has exited; returns true (with its wait status) if so.
  bool ReapIfExited(int* wait_status);
  // Stops a server the service script started (signal, bounded wait by polling).
  absl::Status StopAdopted(int signal);
  absl::Status Annotated(const absl::Status& status) const;

  MariadbOptions options_;
  std::string dir_;
  std::string socket_;
  std::string cnf_path_;
  std::string error_log_;
  std::string stdout_log_;
  std::string agent_password_file_;
  std::string repl_password_file_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
  absl::Duration install_duration_;
  absl::Duration startup_duration_;
};

}  // namespace mmresync::testing
