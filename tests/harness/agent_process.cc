#include "tests/harness/agent_process.h"

#include "tests/harness/child_process.h"
#include "tests/harness/log_tail.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files.h"
#include "common/instance_metadata.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "tests/harness/ports.h"
#include "tests/harness/wait.h"

#ifndef MMRESYNC_AGENT_BIN
#error "MMRESYNC_AGENT_BIN must name the built mmresync-agent"
#endif

namespace mmresync::testing {
namespace {

constexpr int kPortAttempts = 3;

// A TOML basic string.
std::string TomlString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

namespace {

std::shared_ptr<grpc::Channel> TestChannelWith(const std::string& address,
                                               std::shared_ptr<grpc::ChannelCredentials> creds) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(address, creds, args);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeTestChannel(const std::string& address,
                                                               const TlsFiles& tls) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> creds, MakeChannelCredentials(tls));
  return TestChannelWith(address, std::move(creds));
}

absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> MakeAgentStubWithoutCertificate(
    const std::string& address, const std::string& ca_path) {
  ASSIGN_OR_RETURN(std::string ca, ReadFileToString(ca_path));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca;
  return v1::Agent::NewStub(TestChannelWith(address, grpc::SslCredentials(options)));
}

absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> MakeAgentStub(const std::string& address,
                                                               const TlsFiles& tls) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, MakeTestChannel(address, tls));
  return v1::Agent::NewStub(channel);
}

v1::CoordinatorInstance TestInstance() {
  v1::CoordinatorInstance instance;
  instance.set_id(kTestInstanceId);
  instance.set_host("test-harness");
  instance.set_user("test");
  instance.set_pid(static_cast<uint32_t>(getpid()));
  instance.set_started_unix_ms(absl::ToUnixMillis(absl::Now()));
  return instance;
}

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(absl::Duration timeout,
                                                         const std::string& instance_id) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!instance_id.empty()) context->AddMetadata(kInstanceMetadataKey, instance_id);
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  return context;
}

absl::StatusOr<std::unique_ptr<AgentProcess>> AgentProcess::Start(const AgentOptions& options) {
  if (options.db == nullptr || options.name.empty() || options.dir.empty()) {
    return absl::InvalidArgumentError("AgentProcess: name, dir and db are required");
  }
  std::unique_ptr<AgentProcess> agent(new AgentProcess(options));
  RETURN_IF_ERROR(MakeDirs(agent->dir(), 0700));
  for (int attempt = 1;; ++attempt) {
    agent->port_ = options.port > 0 ? options.port : FreeLoopbackPort();
    if (agent->port_ <= 0) return absl::UnavailableError("AgentProcess: no free loopback port");
    RETURN_IF_ERROR(agent->WriteConfig());
    RETURN_IF_ERROR(agent->Spawn());
    bool exited = false;
    absl::Status ready = agent->WaitReady(&exited);
    if (ready.ok()) break;
    // Lost the race for the port to another process: try another one.
    const bool port_taken = exited && absl::StrContains(agent->log_tail(5), "cannot listen");
    if (!port_taken || attempt == kPortAttempts || options.port > 0) {
      (void)agent->Kill();
      return ready;
    }
    log::Warning(agent->describe(), ": port taken, retrying with another one");
  }
  log::Info(agent->describe(), " ready (pid ", agent->pid_, ")");
  return agent;
}

AgentProcess::~AgentProcess() {
  absl::Status stopped = Stop();
  if (!stopped.ok()) log::Warning(stopped.message());
}

std::string AgentProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string AgentProcess::describe() const {
  return absl::StrCat("agent ", options_.name, " (", address(), ")");
}

std::string AgentProcess::log_tail(size_t lines) const { return TailOfFile(log_path(), lines); }

absl::Status AgentProcess::WriteConfig() {
  const AgentOptions& o = options_;
  std::vector<std::string> lines = {
      "# Written by the mmresync test harness.",
      "[agent]",
      absl::StrCat("name = ", TomlString(o.name)),
      absl::StrCat("listen = ", TomlString(address())),
      absl::StrCat("state_dir = ", TomlString(state_dir())),
      o.transfer_stall_seconds == 0
          ? std::string()
          : absl::StrCat("transfer_stall_seconds = ", o.transfer_stall_seconds),
      o.tls_reload_seconds == 0 ? std::string()
                                : absl::StrCat("tls_reload_seconds = ", o.tls_reload_seconds),
      o.backups_keep == 0 ? std::string() : absl::StrCat("backups_keep = ", o.backups_keep),
      "",
      "[tls]",
      absl::StrCat("ca = ", TomlString(o.tls.ca)),
      absl::StrCat("cert = ", TomlString(o.tls.cert)),
      absl::StrCat("key = ", TomlString(o.tls.key)),
      "",
      "[mariadb]",
      absl::StrCat("socket = ", TomlString(o.db->socket())),
      absl::StrCat("user = ", TomlString(o.db->agent_user())),
      absl::StrCat("password_file = ", TomlString(o.db->agent_password_file())),
      absl::StrCat("repl_user = ", TomlString(o.db->repl_user())),
      absl::StrCat("repl_password_file = ", TomlString(o.db->repl_password_file())),
  };
  if (!o.dump_command.empty()) {
    lines.push_back(absl::StrCat("dump_command = ", TomlString(o.dump_command)));
  }
  if (!o.client_command.empty()) {
    lines.push_back(absl::StrCat("client_command = ", TomlString(o.client_command)));
  }
  lines.insert(lines.end(), {
                                "",
                                "[peer]",
                                absl::StrCat("name = ", TomlString(o.peer_name)),
                                absl::StrCat("mariadb_host = ", TomlString(o.peer_mariadb_host)),
                                absl::StrCat("mariadb_port = ", o.peer_mariadb_port),
                                absl::StrCat("agent = ", TomlString(o.peer_agent)),
                                "",
                            });
  if (o.mariadb_service_control != "none") {
    lines.push_back("[mariadb.service]");
    lines.push_back(absl::StrCat("control = ", TomlString(o.mariadb_service_control)));
    lines.push_back(absl::StrCat("start = ", TomlString(o.mariadb_service_start)));
    lines.push_back(absl::StrCat("stop = ", TomlString(o.mariadb_service_stop)));
    lines.push_back(absl::StrCat("status = ", TomlString(o.mariadb_service_status)));
    lines.push_back("");
  }
  lines.push_back("[keepalived]");
  lines.push_back(absl::StrCat("control = ", TomlString(o.keepalived_control)));
  if (o.keepalived_control == "command") {
    lines.push_back(absl::StrCat("start = ", TomlString(o.keepalived_start)));
    lines.push_back(absl::StrCat("stop = ", TomlString(o.keepalived_stop)));
    lines.push_back(absl::StrCat("status = ", TomlString(o.keepalived_status)));
  }
  if (!o.vip.empty()) lines.push_back(absl::StrCat("vip = ", TomlString(o.vip)));
  lines.emplace_back("");
  return Annotate(WriteFileAtomically(config_path(), absl::StrJoin(lines, "\n"), 0600), describe());
}

absl::Status AgentProcess::Spawn() {
  if (pid_ > 0) return absl::FailedPreconditionError(describe() + ": already running");
  absl::StatusOr<pid_t> pid =
      SpawnChild({MMRESYNC_AGENT_BIN, "--config", config_path()}, log_path(), 0600, options_.env);
  if (!pid.ok()) return Annotate(pid.status(), describe());
  pid_ = *pid;
  return absl::OkStatus();
}

bool AgentProcess::ReapIfExited(int* wait_status) {
  if (pid_ <= 0) return true;
  const pid_t r = waitpid(pid_, wait_status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    pid_ = -1;
    return true;
  }
  return false;
}

bool AgentProcess::running() {
  int wait_status = 0;
  return !ReapIfExited(&wait_status);
}

absl::StatusOr<std::unique_ptr<v1::Agent::Stub>> AgentProcess::Stub(const TlsFiles& as) const {
  return MakeAgentStub(address(), as);
}

absl::Status AgentProcess::WaitReady(bool* exited) {
  *exited = false;
  int wait_status = 0;
  grpc::Status last;
  absl::Status waited = WaitUntil(
      [&] {
        if (ReapIfExited(&wait_status)) {
          *exited = true;
          return true;
        }
        // A fresh channel each time: no reconnect backoff carried over.
        auto stub = Stub();
        if (!stub.ok()) {
          last = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              std::string(stub.status().message()));
          return false;
        }
        auto context = ContextWithDeadline(absl::Seconds(5));
        v1::NodeStatus reply;
        last = (*stub)->GetStatus(context.get(), v1::StatusRequest(), &reply);
        return last.ok();
      },
      options_.startup_timeout, absl::Milliseconds(100),
      absl::StrCat(describe(), " to answer GetStatus"));
  if (*exited) {
    return absl::InternalError(absl::StrCat(describe(), " ", DescribeWaitStatus(wait_status),
                                            " during startup; ", log_path(), ":\n", log_tail(20)));
  }
  if (!waited.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(
        waited.message(), "; last: ", last.error_message(), "; ", log_path(), ":\n", log_tail(20)));
  }
  return absl::OkStatus();
}

absl::Status AgentProcess::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  int wait_status = 0;
  if (ReapIfExited(&wait_status)) return absl::OkStatus();
  kill(pid_, SIGTERM);
  absl::Status waited =
      WaitUntil([&] { return ReapIfExited(&wait_status); }, options_.stop_timeout,
                absl::Milliseconds(20), absl::StrCat(describe(), " to exit after SIGTERM"));
  if (waited.ok()) return absl::OkStatus();
  const pid_t pid = pid_;
  (void)Kill();
  return absl::DeadlineExceededError(
      absl::StrCat(describe(), " (pid ", pid, ") ignored SIGTERM and was killed"));
}

absl::Status AgentProcess::Kill() {
  if (pid_ <= 0) return absl::OkStatus();
  int wait_status = 0;
  if (ReapIfExited(&wait_status)) return absl::OkStatus();
  kill(pid_, SIGKILL);
  return WaitUntil([&] { return ReapIfExited(&wait_status); }, absl::Seconds(30),
                   absl::Milliseconds(10), absl::StrCat(describe(), " to die after SIGKILL"));
}

absl::Status AgentProcess::Restart() {
  if (running()) return absl::FailedPreconditionError(describe() + ": still running");
  RETURN_IF_ERROR(WriteConfig());
  RETURN_IF_ERROR(Spawn());
  bool exited = false;
  absl::Status ready = WaitReady(&exited);
  if (!ready.ok()) (void)Kill();
  return ready;
}

}  // namespace mmresync::testing
