#include "agent/mariadb_service_controller.h"

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

constexpr size_t kMessageTailBytes = 1024;
constexpr size_t kDetailBytes = 200;

std::string Tail(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() <= kMessageTailBytes) return std::string(text);
  text = text.substr(text.size() - kMessageTailBytes);
  while (!text.empty() && (static_cast<unsigned char>(text.front()) & 0xC0) == 0x80) {
    text.remove_prefix(1);
  }
  return absl::StrCat("...", text);
}

std::string ExitMessage(absl::string_view display, const CommandResult& result) {
  std::string message = absl::StrCat("\"", display, "\" exited ", result.exit_code);
  std::string said = Tail(result.stderr_text);
  if (said.empty()) said = Tail(result.stdout_text);
  if (!said.empty()) absl::StrAppend(&message, ": ", said);
  return message;
}

std::string FirstLine(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  text = absl::StripAsciiWhitespace(text.substr(0, text.find('\n')));
  if (text.size() > kDetailBytes) return absl::StrCat(text.substr(0, kDetailBytes), "...");
  return std::string(text);
}

// 126/127: the status command itself is broken; >= 128: it died by a signal.
bool BrokenStatusExit(int exit_code) {
  return exit_code == 126 || exit_code == 127 || exit_code >= 128;
}

absl::Status RunAction(CommandRunner& runner, absl::string_view action,
                       const std::vector<std::string>& argv, absl::string_view display,
                       const MariadbServiceTiming& timing) {
  const std::string context = absl::StrCat("mariadb ", action);
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

absl::Status AwaitState(MariadbServiceController& controller, absl::string_view action,
                        absl::string_view display, bool want_running,
                        const MariadbServiceTiming& timing) {
  const std::string context = absl::StrCat("mariadb ", action);
  const absl::Time deadline = absl::Now() + timing.settle;
  PollBackoff backoff(timing.poll_interval);
  while (true) {
    absl::StatusOr<MariadbServiceStatus> status = controller.Status();
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
          absl::StrCat(context, ": \"", display, "\" exited 0 but mariadbd is ",
                       want_running ? "not running" : "still running", " after ",
                       absl::FormatDuration(timing.settle), " (status: ", status->detail, ")");
      log::Error(message);
      return absl::FailedPreconditionError(message);
    }
    absl::SleepFor(backoff.Next(left));
  }
}

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

// ---------- systemd ----------

SystemdMariadbService::SystemdMariadbService(std::string service, CommandRunner* runner,
                                             MariadbServiceTiming timing)
    : service_(std::move(service)), runner_(runner), timing_(timing) {}

absl::StatusOr<MariadbServiceStatus> SystemdMariadbService::Status() {
  const std::vector<std::string> argv = {"systemctl", "is-active", service_};
  absl::StatusOr<CommandResult> result = runner_->Run(argv, timing_.status_timeout);
  if (!result.ok()) return Annotate(result.status(), "mariadb status");
  std::string state = FirstLine(result->stdout_text);
  if (result->exit_code == 0) {
    return MariadbServiceStatus{true, true, state.empty() ? "active" : state};
  }
  // "activating"/"deactivating" exit non-zero too: not running yet, keep polling.
  if (state.empty() || BrokenStatusExit(result->exit_code)) {
    return absl::FailedPreconditionError(
        absl::StrCat("mariadb status: ", ExitMessage(absl::StrJoin(argv, " "), *result)));
  }
  return MariadbServiceStatus{true, false, state};
}

absl::Status SystemdMariadbService::Start() {
  const std::vector<std::string> argv = {"systemctl", "start", service_};
  const std::string display = absl::StrJoin(argv, " ");
  RETURN_IF_ERROR(RunAction(*runner_, "start", argv, display, timing_));
  return AwaitState(*this, "start", display, /*want_running=*/true, timing_);
}

absl::Status SystemdMariadbService::Stop() {
  const std::vector<std::string> argv = {"systemctl", "stop", service_};
  const std::string display = absl::StrJoin(argv, " ");
  RETURN_IF_ERROR(RunAction(*runner_, "stop", argv, display, timing_));
  return AwaitState(*this, "stop", display, /*want_running=*/false, timing_);
}

// ---------- command ----------

CommandMariadbService::CommandMariadbService(std::string start, std::string stop,
                                             std::string status, CommandRunner* runner,
                                             MariadbServiceTiming timing)
    : start_(std::move(start)),
      stop_(std::move(stop)),
      status_(std::move(status)),
      runner_(runner),
      timing_(timing) {}

absl::StatusOr<MariadbServiceStatus> CommandMariadbService::Status() {
  absl::StatusOr<CommandResult> result =
      runner_->Run(ShellCommand(status_), timing_.status_timeout);
  if (!result.ok()) return Annotate(result.status(), "mariadb status");
  if (BrokenStatusExit(result->exit_code)) {
    return absl::FailedPreconditionError(
        absl::StrCat("mariadb status: ", ExitMessage(status_, *result)));
  }
  std::string detail = FirstLine(result->stdout_text);
  if (detail.empty()) detail = absl::StrCat("\"", status_, "\" exited ", result->exit_code);
  return MariadbServiceStatus{true, result->exit_code == 0, detail};
}

absl::Status CommandMariadbService::Start() {
  // env(1) rather than shell text: the options reach the command line unquoted and the
  // operator's command stays exactly as configured.
  std::vector<std::string> argv = {"/usr/bin/env",
                                   absl::StrCat(kMariadbdOptionsEnv, "=", kMariadbdSwapOptions)};
  for (std::string& a : ShellCommand(start_)) argv.push_back(std::move(a));
  RETURN_IF_ERROR(RunAction(*runner_, "start", argv, start_, timing_));
  return AwaitState(*this, "start", start_, /*want_running=*/true, timing_);
}

absl::Status CommandMariadbService::Stop() {
  RETURN_IF_ERROR(RunAction(*runner_, "stop", ShellCommand(stop_), stop_, timing_));
  return AwaitState(*this, "stop", stop_, /*want_running=*/false, timing_);
}

// ---------- none ----------

absl::StatusOr<MariadbServiceStatus> NoMariadbService::Status() {
  return MariadbServiceStatus{false, false, "not managed ([mariadb.service] control = none)"};
}

absl::Status NoMariadbService::Start() {
  return absl::FailedPreconditionError(
      "mariadb start: not managed by the agent ([mariadb.service] control = none)");
}

absl::Status NoMariadbService::Stop() {
  return absl::FailedPreconditionError(
      "mariadb stop: not managed by the agent ([mariadb.service] control = none)");
}

void ReportMariadbService(MariadbServiceController& service, v1::MariadbServiceState* out) {
  out->set_control(service.kind());
  absl::StatusOr<MariadbServiceStatus> status = service.Status();
  if (status.ok()) {
    out->set_managed(status->managed);
    out->set_running(status->running);
    out->set_detail(status->detail);
  } else {
    out->set_managed(true);
    out->set_detail(absl::StrCat("status unknown: ", status.status().message()));
  }
}

// ---------- factory ----------

absl::StatusOr<std::unique_ptr<MariadbServiceController>> MakeMariadbServiceController(
    const MariadbServiceSettings& settings, CommandRunner* runner, MariadbServiceTiming timing) {
  if (runner == nullptr) runner = DefaultRunner();
  if (settings.control == "systemd") {
    if (!ValidUnitName(settings.service)) {
      return absl::InvalidArgumentError(absl::StrCat("mariadb.service.service \"", settings.service,
                                                     "\" is not a valid systemd unit name"));
    }
    return std::make_unique<SystemdMariadbService>(settings.service, runner, timing);
  }
  if (settings.control == "command") {
    const std::pair<const char*, const std::string*> commands[] = {
        {"start", &settings.start}, {"stop", &settings.stop}, {"status", &settings.status}};
    for (const auto& [key, value] : commands) {
      if (absl::StripAsciiWhitespace(*value).empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mariadb.service.", key,
                         " is empty; control = \"command\" needs start, stop and status "
                         "command lines"));
      }
    }
    return std::make_unique<CommandMariadbService>(settings.start, settings.stop, settings.status,
                                                   runner, timing);
  }
  if (settings.control == "none") return std::make_unique<NoMariadbService>();
  return absl::InvalidArgumentError(absl::StrCat("mariadb.service.control \"", settings.control,
                                                 "\" is not one of systemd, command, none"));
}

}  // namespace mmresync::agent
