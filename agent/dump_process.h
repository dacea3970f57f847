#pragma once

// mariadb-dump as a child process (no shell), read in chunks. The password reaches it
// only through the 0600 defaults file.

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "agent/dump_scanner.h"
#include "common/subprocess.h"
#include "common/tool_argv.h"

namespace mmresync::agent {

// A schema-only mariadb-dump (kSchemaPreData or kSchemaPostData) of `schemas`, read whole
// into memory (refused above `max_bytes`), its footer checked. The password reaches it
// through a 0600 defaults file in `state_dir`.
absl::StatusOr<std::string> DumpSchemaText(const std::string& dump_command,
                                           const std::string& state_dir,
                                           const DbConnectParams& connect,
                                           const std::vector<std::string>& schemas,
                                           DumpContent content, size_t max_bytes);

class DumpProcess {
 public:
  absl::Status Start(const DumpSpec& spec);
  // The next piece of output (at most `max` bytes); empty at the end.
  absl::StatusOr<std::string> Read(size_t max);
  // Waits for the exit; an error quoting mariadb-dump's stderr unless it exited 0.
  absl::Status Finish();
  void Abort();
  const DumpScanner& scanner() const { return scanner_; }
  pid_t pid() const { return child_.pid(); }

 private:
  Subprocess child_;
  DumpScanner scanner_;
};

// The mariadb client importing SQL from its stdin (ImportArgv), sql_log_bin=0.
class ImportProcess {
 public:
  absl::Status Start(const std::string& client_command, const std::string& defaults_file);
  // The same, run in `working_dir` with LOAD DATA LOCAL INFILE allowed, for files of
  // that directory named relative to it (a delta backup's rows).
  absl::Status StartInDir(const std::string& client_command, const std::string& defaults_file,
                          const std::string& working_dir);
  absl::Status Write(absl::string_view sql);
  // Closes stdin and waits; an error quoting the client's stderr unless it exited 0.
  absl::Status Finish();
  void Abort();

 private:
  absl::Status ExitError(int code);
  absl::Status Run(std::vector<std::string> argv, const std::string& working_dir);
  Subprocess child_;
};

}  // namespace mmresync::agent
