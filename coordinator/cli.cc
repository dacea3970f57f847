#include "coordinator/cli.h"

#include "common/compression.h"
#include "common/fault_point.h"
#include "common/version.h"
#include "coordinator/certs_command.h"

namespace mmresync::coordinator {
namespace {

std::string Example(std::initializer_list<const char*> lines) {
  std::string text = "\nExample:";
  for (const char* line : lines) {
    text += "\n  ";
    text += line;
  }
  return text;
}

void AddPlanAndRecover(CLI::App& app, CliArgs* a) {
  RecoverFlags& flags = a->flags;
  const CLI::Validator compression_check(
      std::function<std::string(std::string&)>([](std::string& text) {
        auto level = mmresync::ParseCompression(text);
        return level.ok() ? std::string() : std::string(level.status().message());
      }),
      "auto|none|1..19");
  CLI::App* plan =
      app.add_subcommand("plan", "print the exact steps recover would run; changes nothing");
  plan->footer(Example({"mmresync plan", "mmresync plan --source db1 --method logical --json"}));
  plan->add_option("--source", a->source, "the node whose data wins (default: the VIP holder)");
  plan->add_flag("--skip-backup", flags.options.skip_backup, "plan without the target backup");
  plan->add_flag("--force", flags.force, "plan a re-seed even of a pair that looks healthy");
  plan->add_flag("--resume", flags.resume, "show what --resume would run");
  plan->add_flag("--json", flags.json, "the plan as one JSON object");
  plan->add_option("--method", flags.options.method,
                   "transfer method: auto (default), delta, logical, physical or dump");
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
  recover->footer(
      Example({"mmresync recover                 # asks before it changes anything",
               "mmresync recover --source db1 --yes --json", "mmresync recover --resume --yes"}));
  recover->add_option("--source", a->source, "the node whose data wins (default: the VIP holder)");
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
                      "else dump), delta (compare both nodes by key ranges, replace only what "
                      "differs), logical, physical (mariadb-backup; the target's "
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
}

void AddCerts(CLI::App& app, CliArgs* a) {
  CLI::App* certs = app.add_subcommand("certs", "make a cluster CA and certificates");
  certs->require_subcommand(1);
  certs->footer(Example({"mmresync certs init --dir /etc/mmresync/ca",
                         "mmresync certs issue --dir /etc/mmresync/ca --role agent --name db1 "
                         "--san 10.0.0.1"}));
  a->ca_days = kDefaultCaDays;
  a->days = kDefaultCertDays;
  CLI::App* init = certs->add_subcommand("init", "create a CA (ca.pem, ca.key) in --dir");
  init->footer(Example({"mmresync certs init --dir /etc/mmresync/ca --days 3650"}));
  init->add_option("--dir", a->dir, "directory for the CA files")->capture_default_str();
  init->add_option("--days", a->ca_days, "validity")->capture_default_str();
  CLI::App* issue = certs->add_subcommand("issue", "issue a coordinator or agent certificate");
  issue->footer(Example(
      {"mmresync certs issue --dir /etc/mmresync/ca --role coordinator",
       "mmresync certs issue --dir /etc/mmresync/ca --role agent --name db2 --san 10.0.0.2"}));
  issue->add_option("--dir", a->dir, "directory holding ca.pem and ca.key")->capture_default_str();
  issue->add_option("--role", a->role, "coordinator | agent")->required();
  issue->add_option("--name", a->name, "node name (agent role)");
  issue->add_option("--san", a->sans, "DNS name or IP the agent is reached at (repeatable)");
  issue->add_option("--out", a->out, "output prefix (default DIR/NAME)");
  issue->add_option("--days", a->days, "validity")->capture_default_str();
  issue->add_flag("--force", a->force, "replace an existing key and certificate at --out");
}

void AddBackups(CLI::App& app, CliArgs* a) {
  BackupsFlags& b = a->backups;
  CLI::App* backups = app.add_subcommand("backups",
                                         "the backups earlier runs left on the nodes: list, "
                                         "restore, prune");
  backups->require_subcommand(1);
  backups->footer(Example({"mmresync backups list", "mmresync backups prune --keep 3"}));
  CLI::App* list = backups->add_subcommand("list", "every backup on each node (or --node)");
  list->footer(Example({"mmresync backups list", "mmresync backups list --node db2 --json"}));
  list->add_option("--node", b.node, "only this node");
  list->add_flag("--json", b.json, "machine-readable output");
  CLI::App* restore = backups->add_subcommand(
      "restore",
      "put a run's backup back on the standby --node (fenced first; refused on the "
      "VIP holder; nothing replicates); then run recover");
  restore->footer(Example({"mmresync backups restore 20261130T140000-a1b2c3 --node db2"}));
  restore->add_option("run", b.run, "the run whose backup comes back (see backups list)")
      ->required();
  restore->add_option("--node", b.node, "the node to restore on (not the VIP holder)")->required();
  restore->add_flag("--yes", b.yes, "do not ask for confirmation");
  CLI::App* prune = backups->add_subcommand(
      "prune", "remove all but the newest --keep backups (their parked schemas and files)");
  prune->footer(Example({"mmresync backups prune --keep 3",
                         "mmresync backups prune --keep 0 "
                         "--node db2"}));
  prune->add_option("--keep", b.keep, "how many of the newest backups stay on each node")
      ->required()
      ->check(CLI::Range(0, 1000));
  prune->add_option("--node", b.node, "only this node");
}

}  // namespace

std::unique_ptr<CLI::App> BuildCli(CliArgs* a) {
  auto app = std::make_unique<CLI::App>("mmresync: repair a broken MariaDB master-master pair",
                                        "mmresync");
  app->require_subcommand(1);
  // `--config FILE` also after the subcommand, as the printed resume commands put it.
  app->fallthrough();
  app->set_version_flag("--version", VersionText() + fault::BuildNote(),
                        "print the version and exit");
  app->footer(Example({"mmresync status", "mmresync help recover"}));
  app->add_option("--config", a->config,
                  "cluster file (default $MMRESYNC_CONFIG, else /etc/mmresync/cluster.toml)");
  app->add_flag("--debug", a->debug, "also print gRPC's own log lines (TLS handshakes, ...)");

  CLI::App* status = app->add_subcommand("status",
                                         "both nodes side by side and a diagnosis "
                                         "(exit 0 healthy, 1 degraded, 2 error)");
  status->footer(Example({"mmresync status", "mmresync --config ./cluster.toml status --json"}));
  status->add_flag("--json", a->json, "machine-readable output");

  AddPlanAndRecover(*app, a);

  CLI::App* verify = app->add_subcommand("verify", "compare the data of both nodes table by table");
  verify->footer(Example({"mmresync verify", "mmresync verify --timeout 600 --json"}));
  verify->add_flag("--json", a->json, "machine-readable output");
  verify
      ->add_option("--timeout", a->verify_timeout_seconds,
                   "seconds to wait for each node to apply the other's position (default 120)")
      ->check(CLI::Range(1, 86400));

  CLI::App* history = app->add_subcommand(
      "history", "past runs from the journal: who, when, roles, method, duration, outcome");
  history->footer(Example({"mmresync history", "mmresync history 20261130T133550-e0096e --json"}));
  history->add_option("run", a->history_run, "one run: its journal records");
  history->add_flag("--json", a->json, "machine-readable output");

  AddBackups(*app, a);
  AddCerts(*app, a);

  CLI::App* help = app->add_subcommand("help", "this help, or a command's: help COMMAND");
  help->footer(Example({"mmresync help", "mmresync help certs issue"}));
  help->add_option("command", a->help_path, "the command to explain");
  return app;
}

void FinishRecoverFlags(const CLI::App& app, CliArgs* a) {
  RecoverFlags& flags = a->flags;
  if (!a->source.empty()) flags.source = a->source;
  flags.config = a->config;
  a->backups.config = a->config;
  const CLI::App* recover = app.get_subcommand("recover");
  const CLI::App* given_in = recover->parsed() ? recover : app.get_subcommand("plan");
  for (const char* name :
       {"--method", "--skip-backup", "--discard-target-writes", "--backup", "--workers"}) {
    if (given_in->get_option_no_throw(name) != nullptr && given_in->count(name) > 0) {
      flags.given.insert(name);
    }
  }
  flags.options.compression_given = given_in->count("--compression") > 0;
}

}  // namespace mmresync::coordinator
