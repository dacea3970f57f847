// mmresync: the operator's CLI. See DESIGN.md, "Command-line contract".

#include <signal.h>

#include <cstdio>

#include "common/command_line.h"
#include "common/fault_point.h"
#include "common/grpc_logging.h"
#include "common/log.h"
#include "coordinator/backups_command.h"
#include "coordinator/certs_command.h"
#include "coordinator/cli.h"
#include "coordinator/exit_codes.h"
#include "coordinator/history_command.h"
#include "coordinator/recover_command.h"
#include "coordinator/status_command.h"
#include "coordinator/verify_command.h"

using namespace mmresync::coordinator;

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  mmresync::log::SetProgramName("mmresync");
  CliArgs args;
  std::unique_ptr<CLI::App> app = BuildCli(&args);
  if (std::optional<int> exit = mmresync::ParseCommandLine(*app, argc, argv, kExitUsage)) {
    return *exit;
  }
  mmresync::RouteGrpcLogging(args.debug);
  if (absl::Status s = mmresync::fault::ArmFromEnvironment(); !s.ok()) {
    std::fprintf(stderr, "mmresync: %s\n", std::string(s.message()).c_str());
    return kExitUsage;
  }
  FinishRecoverFlags(*app, &args);
  const RecoverFlags& flags = args.flags;
  auto given = [&](const char* name) { return app->get_subcommand(name)->parsed(); };
  const CLI::App* certs = app->get_subcommand("certs");

  if (given("help")) {
    std::string error;
    std::optional<std::string> text = mmresync::HelpFor(*app, args.help_path, &error);
    if (!text) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return kExitUsage;
    }
    std::fputs(text->c_str(), stdout);
    return kExitOk;
  }
  if (given("status")) return RunStatus(args.config, args.json);
  if (given("plan")) return RunPlan(flags);
  if (given("history")) return RunHistory(args.config, args.history_run, args.json);
  if (given("recover") && !flags.abandon.empty()) return RunAbandon(flags);
  if (given("recover")) {
    // Before any thread (gRPC's included) exists, so the signals reach only the thread
    // RunRecover dedicates to them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return RunRecover(flags);
  }
  if (given("verify")) {
    return RunVerify(args.config, args.json, absl::Seconds(args.verify_timeout_seconds));
  }
  const CLI::App* backups = app->get_subcommand("backups");
  if (backups->get_subcommand("list")->parsed()) return RunBackupsList(args.backups);
  if (backups->get_subcommand("restore")->parsed()) return RunBackupsRestore(args.backups);
  if (backups->get_subcommand("prune")->parsed()) return RunBackupsPrune(args.backups);
  if (certs->get_subcommand("init")->parsed()) return RunCertsInit(args.dir, args.ca_days);
  if (certs->get_subcommand("issue")->parsed()) {
    return RunCertsIssue(args.dir, args.role, args.name, args.sans, args.out, args.days,
                         args.force);
  }
  return kExitUsage;
}
