// mmresync-agent: the daemon on each DB host. See DESIGN.md, "Parts".

#include <signal.h>

#include <cstdio>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/agent_service.h"
#include "agent/client_defaults.h"
#include "agent/keepalived_controller.h"
#include "agent/mariadb_service_controller.h"
#include "agent/mariadb_session.h"
#include "agent/physical_swap.h"
#include "agent/stats_recalc_pause.h"
#include "agent/vip.h"
#include "agent/vip_check.h"
#include "common/cert_info.h"
#include "common/command_line.h"
#include "common/config.h"
#include "common/escape.h"
#include "common/fault_point.h"
#include "common/files.h"
#include "common/grpc_logging.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/tls.h"
#include "common/version.h"

namespace mmresync::agent {
namespace {

// How the agent logs in to its local mariadbd ([mariadb]; the password from its file).
absl::StatusOr<DbConnectParams> ConnectParams(const AgentConfig& config) {
  DbConnectParams connect;
  connect.socket = config.mariadb.socket;
  connect.host = config.mariadb.host;
  connect.port = config.mariadb.port;
  connect.user = config.mariadb.user;
  if (!config.mariadb.password_file.empty()) {
    ASSIGN_OR_RETURN(connect.password, ReadSecretFile(config.mariadb.password_file));
  }
  return connect;
}

absl::StatusOr<AgentDeps> BuildDeps(const AgentConfig& config) {
  AgentDeps deps;
  deps.config = config;
  ASSIGN_OR_RETURN(deps.connect, ConnectParams(config));
  // The replication password is read when it is used; check now that it can be.
  RETURN_IF_ERROR(ReadSecretFile(config.mariadb.repl_password_file).status());
  deps.db = std::make_unique<MariadbSessionFactory>(deps.connect);
  static RealCommandRunner runner;
  ASSIGN_OR_RETURN(deps.keepalived, MakeKeepalivedController(config.keepalived, &runner));
  ASSIGN_OR_RETURN(deps.mariadb_service,
                   MakeMariadbServiceController(config.mariadb.service, &runner));
  deps.addresses = std::make_unique<KernelInterfaceAddresses>();
  // Read once now so that unreadable files stop the start; then again per transfer.
  RETURN_IF_ERROR(MakeChannelCredentials(config.tls).status());
  deps.peer_credentials = [tls = config.tls] { return MakeChannelCredentials(tls); };
  return deps;
}

// `mmresync-agent check` (vip_check.h): 0 this node may hold the VIP, 1 it must not
// (the reasons on stdout), 2 the config cannot be read. Short timeouts: keepalived runs
// it every few seconds and counts a hung script as a failure anyway.
int RunCheck(const std::string& config_flag) {
  std::string path = ConfigPathFromEnv(config_flag, kDefaultAgentConfig);
  auto config = LoadAgentConfig(path);
  if (!config.ok()) {
    PrintTerminal(stderr, "mmresync-agent check: %s\n", std::string(config.status().message()));
    return 2;
  }
  auto connect = ConnectParams(*config);
  if (!connect.ok()) {
    PrintTerminal(stderr, "mmresync-agent check: %s\n", std::string(connect.status().message()));
    return 2;
  }
  connect->connect_timeout_s = 3;
  connect->read_timeout_s = 5;
  MariadbSessionFactory db(*connect);
  VipCheck check = CheckVipFitness(db, config->state_dir);
  if (check.ok()) {
    PrintTerminal(stdout, "ok: %s may hold the VIP (%s)\n", config->name, check.facts);
    return 0;
  }
  PrintTerminal(stdout, "NOT OK: %s must not hold the VIP: %s\n", config->name,
                absl::StrJoin(check.reasons, "; "));
  return 1;
}

int Run(const std::string& config_flag) {
  std::string path = ConfigPathFromEnv(config_flag, kDefaultAgentConfig);
  auto config = LoadAgentConfig(path);
  if (!config.ok()) {
    std::fprintf(stderr, "mmresync-agent: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  log::SetProgramName(absl::StrCat("mmresync-agent[", config->name, "]"));
  if (absl::Status s = fault::ArmFromEnvironment(); !s.ok()) {
    log::Error(s.message());
    return 2;
  }
  // An agent serving another node's identity would make the coordinator act on the
  // wrong host: its own certificate must name it.
  if (absl::Status s = CheckCertificateNamesAgent(config->tls.cert, config->name); !s.ok()) {
    log::Error(s.message());
    return 2;
  }
  if (absl::Status s = MakeDirs(config->state_dir, 0700); !s.ok()) {
    log::Error("state_dir: ", s.message());
    return 2;
  }
  // A killed agent leaves its children's password files behind: none survives a restart.
  if (auto removed = RemoveStaleClientDefaults(config->state_dir); !removed.ok()) {
    log::Error(removed.status().message());
    return 2;
  } else if (*removed > 0) {
    log::Warning("removed ", *removed, " client-defaults file(s) a previous run left in ",
                 config->state_dir);
  }
  auto deps = BuildDeps(*config);
  if (!deps.ok()) {
    log::Error(deps.status().message());
    return 2;
  }
  // An agent killed in the middle of a physical import's datadir swap left mariadbd
  // down: finish the swap (or undo it) before serving, so the run can be resumed.
  if (deps->mariadb_service != nullptr) {
    SwapContext swap;
    swap.service = deps->mariadb_service.get();
    swap.db = deps->db.get();
    swap.agent_user = config->mariadb.user;
    swap.repl_user = config->mariadb.repl_user;
    if (absl::Status s = FinishInterruptedSwap(swap, config->state_dir); !s.ok()) {
      log::Error(s.message());
    }
  }
  // An agent killed during a logical load left InnoDB's statistics recalculation paused.
  if (StatsRecalcPauseRecorded(config->state_dir)) {
    auto session = deps->db->Open();
    absl::Status s = session.ok()
                         ? StatsRecalcPause::RestoreAfterRestart(**session, config->state_dir)
                         : session.status();
    if (!s.ok()) {
      log::Warning("innodb_stats_auto_recalc stays paused until the next load or start: ",
                   s.message());
    }
  }
  auto creds = MakeReloadingServerCredentials(config->tls, config->tls_reload_seconds);
  if (!creds.ok()) {
    log::Error(creds.status().message());
    return 2;
  }

  AgentService service(std::move(*deps));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config->listen, *creds, &port);
  builder.RegisterService(&service);
  ApplyServerSettings(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    log::Error("cannot listen on ", config->listen);
    return 1;
  }
  log::Info("agent ", config->name, " ", VersionText(), " listening on ", config->listen,
            " (mTLS)");

  // SIGINT/SIGTERM end the server; in-flight streams are cancelled, which kills any
  // mariadb-dump child and so releases whatever lock it held.
  std::thread waiter([&server] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    log::Info("signal ", sig, ": shutting down");
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  waiter.join();
  return 0;
}

}  // namespace
}  // namespace mmresync::agent

int main(int argc, char** argv) {
  // Block the shutdown signals in every thread (gRPC's included); one thread sigwaits.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the agent

  CLI::App app{"mmresync-agent: the mmresync daemon on a MariaDB host", "mmresync-agent"};
  app.set_version_flag("--version", mmresync::VersionText() + mmresync::fault::BuildNote(),
                       "print the version and exit");
  app.footer(
      "\nExample:\n  mmresync-agent --config /etc/mmresync/agent.toml   # as the systemd unit "
      "runs it");
  std::string config;
  app.add_option("--config", config,
                 "agent config (default $MMRESYNC_CONFIG or /etc/mmresync/agent.toml)");
  bool debug = false;
  app.add_flag("--debug", debug, "also log gRPC's own lines (TLS handshakes, ...)");
  CLI::App* check = app.add_subcommand(
      "check",
      "exit 0 when this node may hold the VIP (database up, not fenced by a run, no "
      "unfinished import, replication not stopped on an error): keepalived's vrrp_script");
  check->footer(
      "\nExample:\n  mmresync-agent --config /etc/mmresync/agent.toml check   # in "
      "keepalived.conf's vrrp_script");
  if (std::optional<int> exit = mmresync::ParseCommandLine(app, argc, argv, 2)) return *exit;
  mmresync::RouteGrpcLogging(debug);
  if (check->parsed()) return mmresync::agent::RunCheck(config);
  return mmresync::agent::Run(config);
}
