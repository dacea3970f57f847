#pragma once

// The `mmresync` command line: every command, flag and help text, built in one place so
// that main() only dispatches and tests can walk the same tree (every command's --help
// has an example; unknown names get the closest valid one).

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "coordinator/backups_command.h"
#include "coordinator/recover_command.h"

namespace mmresync::coordinator {

// What the command line asked for. The CLI::App built by BuildCli writes into it.
struct CliArgs {
  std::string config;
  bool debug = false;  // gRPC's own log lines on stderr
  bool json = false;
  RecoverFlags flags;
  std::string source;
  int verify_timeout_seconds = 120;
  // certs
  std::string dir = ".";
  int ca_days = 0;
  int days = 0;
  bool force = false;
  std::string role, name, out;
  std::vector<std::string> sans;
  BackupsFlags backups;
  // history [RUN]
  std::string history_run;
  // help [COMMAND...]
  std::vector<std::string> help_path;
};

// The whole command tree, writing into `args` (which must outlive the App).
std::unique_ptr<CLI::App> BuildCli(CliArgs* args);

// After a successful parse: copies what RecoverFlags needs from the parse (--source,
// --config, which option flags were given).
void FinishRecoverFlags(const CLI::App& app, CliArgs* args);

}  // namespace mmresync::coordinator
