// mmresync: the operator's CLI. See DESIGN.md, "Command-line contract".

#include <signal.h>

#include <cstdio>

#include "CLI/CLI.hpp"
#include "common/compression.h"
#include "common/log.h"
#include "coordinator/certs_command.h"
#include "coordinator/exit_codes.h"
#include "coordinator/recover_command.h"
#include "coordinator/status_command.h"
#include "coordinator/verify_command.h"

using namespace mmresync::coordinator;

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  mmresync::log::SetProgramName("mmresync");
  CLI::App app{"mmresync: repair a broken MariaDB master-master pair"};
  app.require_subcommand(1);
  // `--config FILE` also after the subcommand, as the printed resume commands put it.
  app.fallthrough();
  std::string config;
  app.add_option("--config", config,
                 "cluster file (default $MMRESYNC_CONFIG, else /etc/mmresync/cluster.toml)");

  bool json = false;
  CLI::App* status = app.add_subcommand("status",
                                        "both nodes side by side and a diagnosis "
                                        "(exit 0 healthy, 1 degraded, 2 error)");
  status->add_flag("--json", json, "machine-readable output");

  RecoverFlags flags;
  std::string source;
  const CLI::Validator compression_check(
      std::function<std::string(std::string&)>([](std::string& text) {
        auto level = mmresync::ParseCompression(text);
        return level.ok() ? std::string() : std::string(level.status().message());
      }),
      "auto|none|1..19");
  CLI::App* plan =
      app.add_subcommand("plan", "print the exact steps recover would run; changes nothing");
  plan->add_option("--source", source, "the node whose data wins (default: the VIP holder)");
  plan->add_flag("--skip-backup", flags.options.skip_backup, "plan without the target backup");
  plan->add_flag("--force", flags.force, "plan a re-seed even of a pair that looks healthy");
  plan->add_flag("--resume", flags.resume, "show what --resume would run");
  plan->add_option("--method", flags.options.method,
                   "transfer method: auto (default), logical, physical or dump");
  plan->add_option("--backup", flags.options.backup, "park (default) or dump")
      ->check(CLI::IsMember({"park", "dump"}));
  plan->add_option("--workers", flags.options.workers, "parallel table streams (logical)")
      ->check(CLI::Range(1, 32));
  plan->add_option("--compression", flags.options.compression,
                   "transfer streams: auto (default), none or a zstd level 1..19")
      ->check(compression_check);

  CLI::App* recover = app.add_subcommand("recover",
                                         "re-seed the target from the source and "
                                         "restore replication both ways");
  recover->add_option("--source", source, "the node whose data wins (default: the VIP holder)");
  recover->add_flag("--yes", flags.yes, "do not ask for confirmation");
  recover->add_flag("--resume", flags.resume,
                    "continue the last interrupted run from the journal, with its options");
  recover
      ->add_option("--abandon", flags.abandon,
                   "give up the journal's unfinished run RUN so that a new run may start; "
                   "nothing is undone (the target stays fenced)")
      ->excludes("--resume");
  recover->add_flag("--json", flags.json, "progress as JSON lines");
  recover->add_flag("--skip-backup", flags.options.skip_backup,
                    "do not back up the target's data before replacing it");
  recover->add_flag("--discard-target-writes", flags.options.discard_target_writes,
                    "accept losing transactions only the target has (it is backed up first)");
  recover->add_flag("--force", flags.force, "re-seed even a pair that looks healthy");
  recover->add_option("--method", flags.options.method,
                      "transfer method: auto (default: logical where the source allows it, "
                      "else dump), logical, physical (mariadb-backup; the target's "
                      "mariadbd is restarted on the copy) or dump");
  recover
      ->add_option("--backup", flags.options.backup,
                   "how the target's old data is kept: park (default: its tables moved aside, "
                   "no copy) or dump (a full mariadb-dump file)")
      ->check(CLI::IsMember({"park", "dump"}));
  recover
      ->add_option("--workers", flags.options.workers,
                   "parallel table streams for the logical method (default: from the cores)")
      ->check(CLI::Range(1, 32));
  recover
      ->add_option("--compression", flags.options.compression,
                   "zstd on the transfer streams (logical, physical): auto (default: only "
                   "while it makes the stream faster, i.e. the link is the bottleneck), none, "
                   "or a level 1..19")
      ->check(compression_check);

  CLI::App* verify = app.add_subcommand("verify", "compare the data of both nodes table by table");
  verify->add_flag("--json", json, "machine-readable output");
  int verify_timeout = 120;
  verify
      ->add_option("--timeout", verify_timeout,
                   "seconds to wait for each node to apply the other's position (default 120)")
      ->check(CLI::Range(1, 86400));

  CLI::App* certs = app.add_subcommand("certs", "make a cluster CA and certificates");
  certs->require_subcommand(1);
  std::string dir = ".";
  int ca_days = kDefaultCaDays;
  int days = kDefaultCertDays;
  bool force = false;
  CLI::App* init = certs->add_subcommand("init", "create a CA (ca.pem, ca.key) in --dir");
  init->add_option("--dir", dir, "directory for the CA files")->capture_default_str();
  init->add_option("--days", ca_days, "validity")->capture_default_str();
  std::string role, name, out;
  std::vector<std::string> sans;
  CLI::App* issue = certs->add_subcommand("issue", "issue a coordinator or agent certificate");
  issue->add_option("--dir", dir, "directory holding ca.pem and ca.key")->capture_default_str();
  issue->add_option("--role", role, "coordinator | agent")->required();
  issue->add_option("--name", name, "node name (agent role)");
  issue->add_option("--san", sans, "DNS name or IP the agent is reached at (repeatable)");
  issue->add_option("--out", out, "output prefix (default DIR/NAME)");
  issue->add_option("--days", days, "validity")->capture_default_str();
  issue->add_flag("--force", force, "replace an existing key and certificate at --out");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!source.empty()) flags.source = source;
  flags.config = config;
  for (const char* name :
       {"--method", "--skip-backup", "--discard-target-writes", "--backup", "--workers"}) {
    CLI::App* given_in = *recover ? recover : plan;
    if (given_in->get_option_no_throw(name) != nullptr && given_in->count(name) > 0) {
      flags.given.insert(name);
    }
  }
  {
    CLI::App* given_in = *recover ? recover : plan;
    flags.options.compression_given = given_in->count("--compression") > 0;
  }

  if (*status) return RunStatus(config, json);
  if (*plan) return RunPlan(flags);
  if (*recover && !flags.abandon.empty()) return RunAbandon(flags);
  if (*recover) {
    // Before any thread (gRPC's included) exists, so the signals reach only the thread
    // RunRecover dedicates to them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return RunRecover(flags);
  }
  if (*verify) return RunVerify(config, json, absl::Seconds(verify_timeout));
  if (*init) return RunCertsInit(dir, ca_days);
  if (*issue) return RunCertsIssue(dir, role, name, sans, out, days, force);
  return kExitUsage;
}
