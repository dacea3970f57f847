#include "common/tool_argv.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace mmresync {

std::vector<std::string> DumpArgv(const DumpSpec& spec) {
  std::vector<std::string> argv = {
      spec.dump_command,
      absl::StrCat("--defaults-file=", spec.defaults_file),
      "--default-character-set=utf8mb4",
      "--hex-blob",
      "--quick",
      "--max-allowed-packet=1G",
      "--skip-dump-date",
  };
  switch (spec.content) {
    case DumpContent::kEverything:
      argv.insert(argv.end(), {"--routines", "--events", "--triggers"});
      if (spec.mode == SnapshotMode::kSingleTransaction) {
        argv.push_back("--single-transaction");
      } else {
        argv.push_back("--lock-all-tables");
      }
      if (spec.with_coordinates) argv.push_back("--master-data=2");
      break;
    case DumpContent::kSchemaPreData:
      argv.insert(argv.end(), {"--no-data", "--routines", "--skip-events", "--skip-triggers",
                               "--skip-lock-tables", "--no-tablespaces"});
      break;
    case DumpContent::kSchemaPostData:
      argv.insert(argv.end(),
                  {"--no-data", "--no-create-info", "--no-create-db", "--triggers", "--events",
                   "--skip-routines", "--skip-lock-tables", "--no-tablespaces"});
      break;
  }
  argv.push_back("--databases");
  // Schema names come from the server; "--" keeps one that starts with '-' a name.
  argv.push_back("--");
  for (const auto& s : spec.schemas) argv.push_back(s);
  return argv;
}

std::vector<std::string> ImportArgv(const std::string& client_command,
                                    const std::string& defaults_file) {
  return {client_command,
          absl::StrCat("--defaults-file=", defaults_file),
          "--default-character-set=utf8mb4",
          "--batch",
          "--binary-mode",
          "--skip-reconnect",
          "--max-allowed-packet=1G",
          "--init-command=SET SESSION sql_log_bin=0"};
}

std::vector<std::string> BackupArgv(const std::string& backup_command,
                                    const std::string& defaults_file, uint32_t parallel,
                                    const std::string& target_dir, const std::string& datadir) {
  // --defaults-file must come first, or the system's option files are read as well.
  return {backup_command,
          absl::StrCat("--defaults-file=", defaults_file),
          "--backup",
          "--stream=mbstream",
          absl::StrCat("--parallel=", std::max<uint32_t>(1, parallel)),
          absl::StrCat("--log-copy-interval=", kBackupLogCopyIntervalMs),
          absl::StrCat("--target-dir=", target_dir),
          absl::StrCat("--datadir=", datadir)};
}

std::vector<std::string> PrepareArgv(const std::string& backup_command, const std::string& dir) {
  return {backup_command, absl::StrCat("--defaults-file=", dir, "/backup-my.cnf"), "--prepare",
          absl::StrCat("--target-dir=", dir)};
}

std::vector<std::string> ExtractArgv(const std::string& mbstream_command, uint32_t parallel,
                                     const std::string& dir) {
  return {mbstream_command, "-x", absl::StrCat("--parallel=", ExtractParallel(parallel)), "-C",
          dir};
}

uint32_t ExtractParallel(uint32_t backup_parallel) {
  return std::max<uint32_t>(2, backup_parallel);
}

std::string ArgvText(const std::vector<std::string>& argv) {
  std::vector<std::string> words;
  for (const std::string& a : argv) {
    // Placeholders (<datadir>) are shown as they are; anything a shell would read
    // differently is single-quoted.
    const bool plain = !a.empty() && std::all_of(a.begin(), a.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
             absl::string_view("_./=:,@%+-<>").find(c) != absl::string_view::npos;
    });
    if (plain) {
      words.push_back(a);
    } else {
      words.push_back(absl::StrCat("'", absl::StrReplaceAll(a, {{"'", "'\\''"}}), "'"));
    }
  }
  return absl::StrJoin(words, " ");
}

}  // namespace mmresync
