#include "agent/keepalived_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/poll_backoff.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// How much of a child's output an error message quotes.
constexpr size_t kMessageTailBytes = 1024;
// How much of a status command's output becomes KeepalivedStatus::detail.
constexpr size_t kDetailBytes = 200;

// The last kMessageTailBytes of `text`, trimmed, never starting inside a UTF-8 sequence.
std::string Tail(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() <= kMessageTailBytes) return std::string(text);
  text = text.substr(text.size() - kMessageTailBytes);
  while (!text.empty() && (static_cast<unsigned char>(text.front()) & 0xC0) == 0x80) {
    text.remove_prefix(1);
  }
  return absl::StrCat("...", text);
}

// `"systemctl stop keepalived" exited 5: <stderr tail>`; stdout's tail when the
// command wrote nothing on stderr (scripts often report on stdout).
std::string ExitMessage(absl::string_view display, const CommandResult& result) {
  std::string message = absl::StrCat("\"", display, "\" exited ", result.exit_code);
  std::string said = Tail(result.stderr_text);
  if (said.empty()) said = Tail(result.stdout_text);
  if (!said.empty()) absl::StrAppend(&message, ": ", said);
  return message;
}

// The first line of `text`, trimmed and capped, for KeepalivedStatus::detail.
std::string FirstLine(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  text = text.substr(0, text.find('\n'));
  text = absl::StripAsciiWhitespace(text);
  if (text.size() > kDetailBytes) return absl::StrCat(text.substr(0, kDetailBytes), "...");
  return std::string(text);
}

// Exit codes that say the status command itself is broken rather than that keepalived
// is stopped: the shell's "not executable" (126) and "not found" (127), and a death by
// signal (RunCommand reports 128+signal).
bool BrokenStatusExit(int exit_code) {
  return exit_code == 126 || exit_code == 127 || exit_code >= 128;
}

// Runs one start/stop command. `display` names the command in logs and messages.
absl::Status RunAction(CommandRunner& runner, absl::string_view action,
                       const std::vector<std::string>& argv, absl::string_view display,
                       const KeepalivedTiming& timing) {
  const std::string context = absl::StrCat("keepalived ", action);
  log::Info(context, ": running \"", display, "\"");
  absl::StatusOr<CommandResult> result = runner.Run(argv, timing.command_timeout);
  if (!result.ok()) return Annotate(result.status(), context);
  if (result->exit_code != 0) {
    std::string message = absl::StrCat(context, ": ", ExitMessage(display, *result));
    log::Error(message);
    return absl::FailedPreconditionError(message);
  }
  return absl::OkStatus();
}

// After a start/stop command exited 0: polls Status until keepalived is running (or
// not, as `want_running` says), for at most timing.settle.
absl::Status AwaitState(KeepalivedController& controller, absl::string_view action,
                        absl::string_view display, bool want_running,
                        const KeepalivedTiming& timing) {
  const std::string context = absl::StrCat("keepalived ", action);
  const absl::Time deadline = absl::Now() + timing.settle;
  PollBackoff backoff(timing.poll_interval);
  while (true) {
    absl::StatusOr<KeepalivedStatus> status = controller.Status();
    if (!status.ok()) {
      return Annotate(status.status(), absl::StrCat(context, ": checking the result"));
    }
    if (status->running == want_running) {
      log::Info(context, ": done (", status->detail, ")");
      return absl::OkStatus();
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      std::string message =
          absl::StrCat(context, ": \"", display, "\" exited 0 but keepalived is ",
                       want_running ? "not running" : "still running", " after ",
                       absl::FormatDuration(timing.settle), " (status: ", status->detail, ")");
      log::Error(message);
      return absl::FailedPreconditionError(message);
    }
    absl::SleepFor(backoff.Next(left));
  }
}

// systemd unit names: [A-Za-z0-9:_.@\-]{1,255}, and no leading '-' so the name can
// never be read by systemctl as an option.
bool ValidUnitName(absl::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '_' || c == '.' ||
           c == '@' || c == '-' || c == '\\';
  });
}

CommandRunner* DefaultRunner() {
  static RealCommandRunner* runner = new RealCommandRunner;
  return runner;
}

}  // namespace

absl::StatusOr<CommandResult> RealCommandRunner::Run(const std::vector<std::string>& argv,
                                                     absl::Duration timeout) {
  return RunCommand(argv, timeout);
}

// ---------- systemd ----------

SystemdKeepalived::SystemdKeepalived(std::string service, CommandRunner* runner,
                                     KeepalivedTiming timing)
    : service_(std::move(service)), runner_(runner), timing_(timing) {}

absl::StatusOr<KeepalivedStatus> SystemdKeepalived::Status() {
  const std::vector<std::string> argv = {"systemctl", "is-active", service_};
  absl::StatusOr<CommandResult> result = runner_->Run(argv, timing_.command_timeout);
  if (!result.ok()) return Annotate(result.status(), "keepalived status");
  std::string state = FirstLine(result->stdout_text);
  if (result->exit_code == 0) {
    return KeepalivedStatus{true, true, state.empty() ? "active" : state};
  }
  // is-active prints the state ("inactive", "failed", ...) even when it exits non-zero;
  // no state at all means systemctl itself failed (no bus, ...): unknown, not stopped.
  if (state.empty() || BrokenStatusExit(result->exit_code)) {
    return absl::FailedPreconditionError(
        absl::StrCat("keepalived status: ", ExitMessage(absl::StrJoin(argv, " "), *result)));
  }
  return KeepalivedStatus{true, false, state};
}

absl::Status SystemdKeepalived::Start() {
  const std::vector<std::string> argv = {"systemctl", "start", service_};
  const std::string display = absl::StrJoin(argv, " ");
  RETURN_IF_ERROR(RunAction(*runner_, "start", argv, display, timing_));
  return AwaitState(*this, "start", display, /*want_running=*/true, timing_);
}

absl::Status SystemdKeepalived::Stop() {
  const std::vector<std::string> argv = {"systemctl", "stop", service_};
  const std::string display = absl::StrJoin(argv, " ");
  RETURN_IF_ERROR(RunAction(*runner_, "stop", argv, display, timing_));
  return AwaitState(*this, "stop", display, /*want_running=*/false, timing_);
}

// ---------- command ----------

CommandKeepalived::CommandKeepalived(std::string start, std::string stop, std::string status,
                                     CommandRunner* runner, KeepalivedTiming timing)
    : start_(std::move(start)),
      stop_(std::move(stop)),
      status_(std::move(status)),
      runner_(runner),
      timing_(timing) {}

absl::StatusOr<KeepalivedStatus> CommandKeepalived::Status() {
  absl::StatusOr<CommandResult> result =
      runner_->Run(ShellCommand(status_), timing_.command_timeout);
  if (!result.ok()) return Annotate(result.status(), "keepalived status");
  if (BrokenStatusExit(result->exit_code)) {
    return absl::FailedPreconditionError(
        absl::StrCat("keepalived status: ", ExitMessage(status_, *result)));
  }
  std::string detail = FirstLine(result->stdout_text);
  if (detail.empty()) detail = absl::StrCat("\"", status_, "\" exited ", result->exit_code);
  return KeepalivedStatus{true, result->exit_code == 0, detail};
}

absl::Status CommandKeepalived::Start() {
  RETURN_IF_ERROR(RunAction(*runner_, "start", ShellCommand(start_), start_, timing_));
  return AwaitState(*this, "start", start_, /*want_running=*/true, timing_);
}

absl::Status CommandKeepalived::Stop() {
  RETURN_IF_ERROR(RunAction(*runner_, "stop", ShellCommand(stop_), stop_, timing_));
  return AwaitState(*this, "stop", stop_, /*want_running=*/false, timing_);
}

// ---------- none ----------

absl::StatusOr<KeepalivedStatus> NoKeepalived::Status() {
  return KeepalivedStatus{false, false, "not managed (control = none)"};
}

absl::Status NoKeepalived::Start() { return absl::OkStatus(); }

absl::Status NoKeepalived::Stop() { return absl::OkStatus(); }

// ---------- factory ----------

absl::StatusOr<std::unique_ptr<KeepalivedController>> MakeKeepalivedController(
    const KeepalivedSettings& settings, CommandRunner* runner, KeepalivedTiming timing) {
  if (runner == nullptr) runner = DefaultRunner();
  if (settings.control == "systemd") {
    if (!ValidUnitName(settings.service)) {
      return absl::InvalidArgumentError(absl::StrCat("keepalived.service \"", settings.service,
                                                     "\" is not a valid systemd unit name"));
    }
    return std::make_unique<SystemdKeepalived>(settings.service, runner, timing);
  }
  if (settings.control == "command") {
    const std::pair<const char*, const std::string*> commands[] = {
        {"start", &settings.start}, {"stop", &settings.stop}, {"status", &settings.status}};
    for (const auto& [key, value] : commands) {
      if (absl::StripAsciiWhitespace(*value).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("keepalived.", key,
                         " is empty; control = \"command\" needs start, "
                         "stop and status command lines"));
      }
    }
    return std::make_unique<CommandKeepalived>(settings.start, settings.stop, settings.status,
                                               runner, timing);
  }
  if (settings.control == "none") return std::make_unique<NoKeepalived>();
  return absl::InvalidArgumentError(absl::StrCat("keepalived.control \"", settings.control,
                                                 "\" is not one of systemd, command, none"));
}

}  // namespace mmresync::agent
