#include "agent/dump_process.h"
#include "absl/strings/string_view.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "agent/client_defaults.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::StatusOr<std::string> DumpSchemaText(const std::string& dump_command,
                                           const std::string& state_dir,
                                           const DbConnectParams& connect,
                                           const std::vector<std::string>& schemas,
                                           DumpContent content, size_t max_bytes) {
  ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(state_dir, connect));
  DumpSpec spec;
  spec.dump_command = dump_command;
  spec.defaults_file = defaults.path();
  spec.schemas = schemas;
  spec.content = content;
  DumpProcess dump;
  RETURN_IF_ERROR(dump.Start(spec));
  std::string out;
  while (true) {
    auto data = dump.Read(1 << 20);
    if (!data.ok()) {
      dump.Abort();
      return data.status();
    }
    if (data->empty()) break;
    out += *data;
    if (out.size() > max_bytes) {
      dump.Abort();
      return absl::ResourceExhaustedError(
          absl::StrCat("schema definitions exceed ", max_bytes >> 20, " MiB; use --method dump"));
    }
  }
  RETURN_IF_ERROR(dump.Finish());
  if (!dump.scanner().footer_seen()) {
    return absl::DataLossError("schema-only mariadb-dump wrote no \"-- Dump completed\" footer");
  }
  return out;
}

absl::Status DumpProcess::Start(const DumpSpec& spec) {
  if (spec.schemas.empty()) return absl::InvalidArgumentError("dump: no schemas to dump");
  SubprocessOptions options;
  options.pipe_stdout = true;
  return child_.Start(DumpArgv(spec), options);
}

absl::StatusOr<std::string> DumpProcess::Read(size_t max) {
  ASSIGN_OR_RETURN(std::string data, child_.ReadStdout(max));
  scanner_.Feed(data);
  return data;
}

absl::Status DumpProcess::Finish() {
  ASSIGN_OR_RETURN(int code, child_.Wait());
  if (code != 0) {
    return absl::InternalError(
        absl::StrCat(child_.name(), " exited ", code, ": ", child_.StderrTail()));
  }
  return absl::OkStatus();
}

void DumpProcess::Abort() {
  child_.Kill(SIGKILL);
  (void)child_.Wait();
}

absl::Status ImportProcess::Start(const std::string& client_command,
                                  const std::string& defaults_file) {
  return Run(ImportArgv(client_command, defaults_file), "");
}

absl::Status ImportProcess::StartInDir(const std::string& client_command,
                                       const std::string& defaults_file,
                                       const std::string& working_dir) {
  std::vector<std::string> argv = ImportArgv(client_command, defaults_file);
  argv.push_back("--local-infile=1");
  return Run(std::move(argv), working_dir);
}

absl::Status ImportProcess::Run(std::vector<std::string> argv, const std::string& working_dir) {
  SubprocessOptions options;
  options.pipe_stdin = true;
  options.working_dir = working_dir;
  RETURN_IF_ERROR(child_.Start(argv, options));
  // Also in the stream itself, so it holds even if the init command were dropped.
  return child_.WriteStdin("SET SESSION sql_log_bin=0;\n");
}

absl::Status ImportProcess::Write(absl::string_view sql) {
  absl::Status s = child_.WriteStdin(sql);
  if (!s.ok()) {
    // The client stopped reading: it failed on an SQL error; its own words explain.
    auto code = child_.Wait();
    if (code.ok() && *code != 0) return ExitError(*code);
    return s;
  }
  return absl::OkStatus();
}

absl::Status ImportProcess::Finish() {
  child_.CloseStdin();
  ASSIGN_OR_RETURN(int code, child_.Wait());
  if (code != 0) return ExitError(code);
  return absl::OkStatus();
}

absl::Status ImportProcess::ExitError(int code) {
  return absl::InternalError(
      absl::StrCat(child_.name(), " exited ", code, ": ", child_.StderrTail()));
}

void ImportProcess::Abort() {
  child_.Kill(SIGKILL);
  (void)child_.Wait();
}

}  // namespace mmresync::agent
