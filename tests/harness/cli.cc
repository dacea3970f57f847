#include "tests/harness/cli.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/subprocess.h"

#ifndef MMRESYNC_CLI_BIN
#error "MMRESYNC_CLI_BIN must name the built mmresync"
#endif

namespace mmresync::testing {

std::string CliResult::Describe() const {
  return absl::StrCat("exit code ", exit_code, "\n--- stdout ---\n", out, "\n--- stderr ---\n",
                      err);
}

absl::StatusOr<CliResult> RunCli(const std::vector<std::string>& args, absl::Duration timeout) {
  std::vector<std::string> argv = {MMRESYNC_CLI_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> run = RunCommand(argv, timeout);
  if (!run.ok()) return Annotate(run.status(), absl::StrCat("mmresync ", absl::StrJoin(args, " ")));
  CliResult result;
  result.exit_code = run->exit_code;
  result.out = std::move(run->stdout_text);
  result.err = std::move(run->stderr_text);
  return result;
}

absl::StatusOr<std::unique_ptr<CliProcess>> CliProcess::Start(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv = {MMRESYNC_CLI_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::unique_ptr<CliProcess> cli(new CliProcess());
  SubprocessOptions options;
  options.pipe_stdout = true;
  options.env = env;
  RETURN_IF_ERROR(cli->child_.Start(argv, options));
  CliProcess* self = cli.get();
  cli->reader_ = std::thread([self] {
    for (;;) {
      absl::StatusOr<std::string> chunk = self->child_.ReadStdout(65536);
      if (!chunk.ok() || chunk->empty()) return;
      absl::MutexLock lock(&self->mu_);
      self->out_ += *chunk;
    }
  });
  return cli;
}

CliProcess::~CliProcess() {
  if (child_.running()) {
    child_.Kill(SIGKILL);
    (void)child_.WaitFor(absl::Seconds(30));
  }
  if (reader_.joinable()) reader_.join();
}

void CliProcess::Signal(int signal) { child_.Kill(signal); }

std::string CliProcess::out() {
  absl::MutexLock lock(&mu_);
  return out_;
}

absl::StatusOr<CliResult> CliProcess::Wait(absl::Duration timeout) {
  absl::StatusOr<int> code = child_.WaitFor(timeout);
  if (!code.ok()) {
    child_.Kill(SIGKILL);
    (void)child_.WaitFor(absl::Seconds(30));
    if (reader_.joinable()) reader_.join();
    return absl::DeadlineExceededError(absl::StrCat("mmresync did not exit within ",
                                                    absl::FormatDuration(timeout),
                                                    "; stdout so far:\n", out()));
  }
  if (reader_.joinable()) reader_.join();  // EOF follows the exit
  CliResult result;
  result.exit_code = *code;
  result.out = out();
  result.err = child_.StderrTail();
  return result;
}

}  // namespace mmresync::testing
