#pragma once

// One real `mmresync-agent` (the binary this build made, MMRESYNC_AGENT_BIN) for
// integration tests, next to one MariadbInstance:
//
//   <dir>/agent.toml   written per DESIGN.md's agent contract (absolute paths)
//   <dir>/agent.log    the agent's stdout and stderr (appended across restarts)
//   <dir>/state/       its state_dir (backups under state/backups/)
//
// The agent listens on 127.0.0.1:<free port>; the port is kept across Restart() so a
// cluster.toml written once stays valid. Start() returns once a GetStatus call with
// the probe identity (normally the coordinator's certificate) succeeds.
//
// Process ownership: exactly one child (fork/exec) and only its PID is ever signalled.
// The destructor stops it (SIGTERM, bounded wait, SIGKILL). The child has
// PR_SET_PDEATHSIG=SIGKILL, which fires when the *thread* that started it exits: start
// agents from a thread that outlives them (a test's main thread).
//
// Not thread-safe.

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config.h"
#include "mmresync/v1/agent.grpc.pb.h"
#include "tests/harness/mariadb_instance.h"

namespace mmresync::testing {

struct AgentOptions {
  std::string name;  // node name, e.g. "db1": [agent] name and its certificate's role
  std::string dir;   // created if missing
  // The local server: socket, agent account + password file, repl account + password
  // file. Must outlive the agent.
  const MariadbInstance* db = nullptr;
  TlsFiles tls;        // the agent's own identity
  TlsFiles probe_tls;  // who asks GetStatus to see that the agent is up (coordinator)

  // [keepalived]. "command" runs start/stop/status with /bin/sh -c.
  std::string keepalived_control = "none";
  std::string keepalived_start;
  std::string keepalived_stop;
  std::string keepalived_status;
  std::string vip;                      // empty: no vip key written
  uint32_t transfer_stall_seconds = 0;  // 0: not written (the agent's default)
  uint32_t tls_reload_seconds = 0;      // 0: not written (the agent's default)
  uint32_t backups_keep = 0;            // 0: not written (keep every backup)

  // [peer]: the other node (required by the agent).
  std::string peer_name;
  std::string peer_mariadb_host = "127.0.0.1";
  int peer_mariadb_port = 0;
  std::string peer_agent;  // host:port

  // [mariadb] commands; empty: the agent's defaults. Tests put wrappers here that hold
  // a dump or an import at a chosen point.
  std::string dump_command;
  std::string client_command;

  // Added to the agent's environment (fault points: MMRESYNC_FAULT_POINTS, ...).
  std::map<std::string, std::string> env;

  // 0: a free loopback port is picked (and another one if it was taken meanwhile).
  int port = 0;

  // [mariadb.service]; "none" writes no table (the default).
  std::string mariadb_service_control = "none";
  std::string mariadb_service_start;
  std::string mariadb_service_stop;
  std::string mariadb_service_status;

  absl::Duration startup_timeout = absl::Seconds(60);
  absl::Duration stop_timeout = absl::Seconds(30);
};

// A channel for tests: mTLS with `tls`, normal hostname verification, its own
// subchannel pool and a short reconnect backoff (a fresh channel never inherits the
// backoff of an earlier one to the same address, e.g. before an agent restarted).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeTestChannel(const std::string& address,
                                                               const TlsFiles& tls);
absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> MakeAgentStub(const std::string& address,
                                                               const TlsFiles& tls);
// A stub that trusts the CA at `ca_path` but presents no client certificate.
absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> MakeAgentStubWithoutCertificate(
    const std::string& address, const std::string& ca_path);

// The coordinator instance id tests present when they call agents directly: leases they
// take name it (TestInstance()), and ContextWithDeadline() sends it as the
// `mmresync-instance` metadata, as the coordinator's channel does.
inline constexpr char kTestInstanceId[] = "harness";
v1::CoordinatorInstance TestInstance();

// A ClientContext with a deadline `timeout` from now, naming `instance_id`.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(
    absl::Duration timeout = absl::Seconds(30), const std::string& instance_id = kTestInstanceId);

class AgentProcess {
 public:
  static absl::StatusOr<std::unique_ptr<AgentProcess>> Start(const AgentOptions& options);

  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  const std::string& name() const { return options_.name; }
  // "127.0.0.1:<port>": what cluster.toml's `agent` names.
  std::string address() const;
  int port() const { return port_; }
  const std::string& dir() const { return options_.dir; }
  std::string config_path() const { return options_.dir + "/agent.toml"; }
  std::string log_path() const { return options_.dir + "/agent.log"; }
  std::string state_dir() const { return options_.dir + "/state"; }
  std::string backup_dir() const { return state_dir() + "/backups"; }
  // "agent db1 (127.0.0.1:41234)": how messages name it.
  std::string describe() const;

  pid_t pid() const { return pid_; }
  // True while the process exists (reaps it if it exited).
  bool running();
  std::string log_tail(size_t lines = 40) const;

  // SIGTERM, bounded wait, SIGKILL. OK when already stopped; an error if it had to be
  // killed.
  absl::Status Stop();
  // SIGKILL and reap: a crash.
  absl::Status Kill();
  // Starts it again (same port; agent.toml rewritten from options(), so a test can
  // change e.g. the vip while it is stopped) and waits until it answers.
  absl::Status Restart();

  const AgentOptions& options() const { return options_; }
  // Takes effect at the next Restart().
  AgentOptions& mutable_options() { return options_; }

  // A stub to this agent presenting `as` (default: the probe identity).
  absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> Stub(const TlsFiles& as) const;
  absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> Stub() const { return Stub(options_.probe_tls); }

 private:
  explicit AgentProcess(AgentOptions options) : options_(std::move(options)) {}

  absl::Status WriteConfig();
  absl::Status Spawn();
  // Waits until GetStatus answers; `*exited` is set when the process ended instead.
  absl::Status WaitReady(bool* exited);
  bool ReapIfExited(int* wait_status);

  AgentOptions options_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace mmresync::testing
