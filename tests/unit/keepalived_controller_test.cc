#include "agent/keepalived_controller.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::StartsWith;
using ::testing::StrictMock;

class MockCommandRunner : public CommandRunner {
 public:
  MOCK_METHOD(absl::StatusOr<CommandResult>, Run,
              (const std::vector<std::string>& argv, absl::Duration timeout), (override));
};

absl::StatusOr<CommandResult> Exited(int code, std::string out = "", std::string err = "") {
  CommandResult result;
  result.exit_code = code;
  result.stdout_text = std::move(out);
  result.stderr_text = std::move(err);
  return result;
}

// No waiting in unit tests: Status is checked once after a start/stop command.
KeepalivedTiming NoSettle() {
  KeepalivedTiming timing;
  timing.settle = absl::ZeroDuration();
  timing.poll_interval = absl::Milliseconds(1);
  return timing;
}

KeepalivedSettings Systemd(std::string service = "keepalived") {
  KeepalivedSettings settings;
  settings.control = "systemd";
  settings.service = std::move(service);
  return settings;
}

KeepalivedSettings Commands(std::string start, std::string stop, std::string status) {
  KeepalivedSettings settings;
  settings.control = "command";
  settings.start = std::move(start);
  settings.stop = std::move(stop);
  settings.status = std::move(status);
  return settings;
}

std::unique_ptr<KeepalivedController> Make(const KeepalivedSettings& settings,
                                           CommandRunner* runner,
                                           KeepalivedTiming timing = NoSettle()) {
  auto controller = MakeKeepalivedController(settings, runner, timing);
  EXPECT_TRUE(controller.ok()) << controller.status();
  return controller.ok() ? std::move(controller).value() : nullptr;
}

const std::vector<std::string> kIsActive = {"systemctl", "is-active", "keepalived"};
const std::vector<std::string> kStop = {"systemctl", "stop", "keepalived"};
const std::vector<std::string> kStart = {"systemctl", "start", "keepalived"};

// ---------- factory ----------

TEST(MakeKeepalivedControllerTest, KindFollowsControl) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_EQ(Make(Systemd(), &runner)->kind(), "systemd");
  EXPECT_EQ(Make(Commands("a", "b", "c"), &runner)->kind(), "command");
  KeepalivedSettings none;
  none.control = "none";
  EXPECT_EQ(Make(none, &runner)->kind(), "none");
  EXPECT_EQ(Make(KeepalivedSettings{}, &runner)->kind(), "none");  // the default
}

TEST(MakeKeepalivedControllerTest, RejectsUnknownControl) {
  for (const char* control : {"", "Systemd", "systemd ", "init", "shell"}) {
    KeepalivedSettings settings;
    settings.control = control;
    auto controller = MakeKeepalivedController(settings, nullptr);
    ASSERT_FALSE(controller.ok()) << control;
    EXPECT_EQ(controller.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(controller.status().message()),
                HasSubstr(absl::StrCat("keepalived.control \"", control,
                                       "\" is not one of systemd, command, none")));
  }
}

TEST(MakeKeepalivedControllerTest, RejectsBadUnitNames) {
  for (const char* service : {"", "-H", "--host=evil", "keep alived", "a;b", "a/b", "$(x)"}) {
    auto controller = MakeKeepalivedController(Systemd(service), nullptr);
    ASSERT_FALSE(controller.ok()) << service;
    EXPECT_EQ(controller.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(controller.status().message()), HasSubstr("keepalived.service"));
  }
  for (const char* service : {"keepalived", "keepalived.service", "keepalived@vi_1.service"}) {
    EXPECT_TRUE(MakeKeepalivedController(Systemd(service), nullptr).ok()) << service;
  }
}

TEST(MakeKeepalivedControllerTest, CommandNeedsAllThreeLines) {
  struct Case {
    KeepalivedSettings settings;
    const char* key;
  };
  for (const Case& c : {Case{Commands("", "b", "c"), "keepalived.start"},
                        Case{Commands("a", "", "c"), "keepalived.stop"},
                        Case{Commands("a", "b", "  "), "keepalived.status"}}) {
    auto controller = MakeKeepalivedController(c.settings, nullptr);
    ASSERT_FALSE(controller.ok()) << c.key;
    EXPECT_EQ(controller.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(controller.status().message()), StartsWith(c.key));
  }
}

// ---------- systemd ----------

TEST(SystemdKeepalivedTest, StatusActive) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(Eq(kIsActive), Eq(absl::Seconds(30))))
      .WillOnce(Return(Exited(0, "active\n")));
  auto status = Make(Systemd(), &runner)->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->managed);
  EXPECT_TRUE(status->running);
  EXPECT_EQ(status->detail, "active");
}

TEST(SystemdKeepalivedTest, StatusInactiveAndFailed) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(Eq(kIsActive), _))
      .WillOnce(Return(Exited(3, "inactive\n")))
      .WillOnce(Return(Exited(3, "failed\n")));
  auto controller = Make(Systemd(), &runner);
  auto status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->managed);
  EXPECT_FALSE(status->running);
  EXPECT_EQ(status->detail, "inactive");
  status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->running);
  EXPECT_EQ(status->detail, "failed");
}

TEST(SystemdKeepalivedTest, StatusUsesConfiguredService) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(ElementsAre("systemctl", "is-active", "keepalived@vi_1.service"), _))
      .WillOnce(Return(Exited(0, "active\n")));
  EXPECT_TRUE(Make(Systemd("keepalived@vi_1.service"), &runner)->Status().ok());
}

TEST(SystemdKeepalivedTest, StatusWithoutAnswerIsAnError) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(Eq(kIsActive), _))
      .WillOnce(Return(Exited(1, "", "Failed to connect to bus: No such file or directory\n")));
  auto status = Make(Systemd(), &runner)->Status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().message(),
            "keepalived status: \"systemctl is-active keepalived\" exited 1: Failed to connect "
            "to bus: No such file or directory");
}

TEST(SystemdKeepalivedTest, StatusRunnerErrorKeepsItsCode) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(Eq(kIsActive), _))
      .WillOnce(Return(absl::DeadlineExceededError("\"systemctl is-active keepalived\" did "
                                                   "not finish within 30s")));
  auto status = Make(Systemd(), &runner)->Status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(status.status().message()), StartsWith("keepalived status: "));
}

TEST(SystemdKeepalivedTest, StopRunsSystemctlStopThenChecks) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(Eq(kStop), Eq(absl::Seconds(30)))).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(Eq(kIsActive), Eq(absl::Seconds(30))))
      .WillOnce(Return(Exited(3, "inactive\n")));
  absl::Status status = Make(Systemd(), &runner)->Stop();
  EXPECT_TRUE(status.ok()) << status;
}

TEST(SystemdKeepalivedTest, StopFailureNamesCommandExitAndStderr) {
  StrictMock<MockCommandRunner> runner;  // no is-active after a failed stop
  EXPECT_CALL(runner, Run(Eq(kStop), _))
      .WillOnce(Return(Exited(
          5, "", "Failed to stop keepalived.service: Unit keepalived.service not loaded.\n")));
  absl::Status status = Make(Systemd(), &runner)->Stop();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "keepalived stop: \"systemctl stop keepalived\" exited 5: Failed to stop "
            "keepalived.service: Unit keepalived.service not loaded.");
}

TEST(SystemdKeepalivedTest, StopThatLeavesKeepalivedRunningIsAnError) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(Eq(kStop), _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(Eq(kIsActive), _)).WillOnce(Return(Exited(0, "active\n")));
  absl::Status status = Make(Systemd(), &runner)->Stop();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("keepalived stop: \"systemctl stop keepalived\" exited 0 but "
                         "keepalived is still running"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("(status: active)"));
}

TEST(SystemdKeepalivedTest, StopWaitsForKeepalivedToGo) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(Eq(kStop), _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(Eq(kIsActive), _))
      .WillOnce(Return(Exited(0, "active\n")))
      .WillOnce(Return(Exited(0, "active\n")))
      .WillOnce(Return(Exited(3, "inactive\n")));
  KeepalivedTiming timing;
  timing.settle = absl::Seconds(10);
  timing.poll_interval = absl::Milliseconds(1);
  absl::Status status = Make(Systemd(), &runner, timing)->Stop();
  EXPECT_TRUE(status.ok()) << status;
}

TEST(SystemdKeepalivedTest, StopCheckFailureIsReported) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(Eq(kStop), _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(Eq(kIsActive), _)).WillOnce(Return(Exited(1, "", "no bus")));
  absl::Status status = Make(Systemd(), &runner)->Stop();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              StartsWith("keepalived stop: checking the result: keepalived status: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("no bus"));
}

TEST(SystemdKeepalivedTest, StartRunsSystemctlStartThenChecks) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(Eq(kStart), Eq(absl::Seconds(30)))).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(Eq(kIsActive), _)).WillOnce(Return(Exited(0, "active\n")));
  absl::Status status = Make(Systemd(), &runner)->Start();
  EXPECT_TRUE(status.ok()) << status;
}

TEST(SystemdKeepalivedTest, StartThatDoesNotStayUpIsAnError) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(Eq(kStart), _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(Eq(kIsActive), _)).WillOnce(Return(Exited(3, "failed\n")));
  absl::Status status = Make(Systemd(), &runner)->Start();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              StartsWith("keepalived start: \"systemctl start keepalived\" exited 0 but "
                         "keepalived is not running"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("(status: failed)"));
}

TEST(SystemdKeepalivedTest, StartFailureQuotesStdoutWhenStderrIsEmpty) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(Eq(kStart), _))
      .WillOnce(Return(Exited(1, "Job for keepalived.service failed.\n", "")));
  absl::Status status = Make(Systemd(), &runner)->Start();
  EXPECT_EQ(status.message(),
            "keepalived start: \"systemctl start keepalived\" exited 1: Job for "
            "keepalived.service failed.");
}

TEST(SystemdKeepalivedTest, LongStderrIsCutToItsTail) {
  StrictMock<MockCommandRunner> runner;
  std::string err = std::string(8000, 'x') + "THE END";
  EXPECT_CALL(runner, Run(Eq(kStop), _)).WillOnce(Return(Exited(1, "", err)));
  absl::Status status = Make(Systemd(), &runner)->Stop();
  ASSERT_FALSE(status.ok());
  EXPECT_LT(status.message().size(), 1200u);
  EXPECT_THAT(std::string(status.message()), HasSubstr("exited 1: ...xxx"));
  EXPECT_THAT(std::string(status.message()), ::testing::EndsWith("THE END"));
}

TEST(SystemdKeepalivedTest, RunnerFailureOnStopKeepsItsCode) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(Eq(kStop), _))
      .WillOnce(Return(absl::FailedPreconditionError("cannot start systemctl: No such file")));
  absl::Status status = Make(Systemd(), &runner)->Stop();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "keepalived stop: cannot start systemctl: No such file");
}

// ---------- command ----------

TEST(CommandKeepalivedTest, RunsConfiguredLinesThroughShell) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "my-stop --now"), Eq(absl::Seconds(30))))
      .WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "pidof keepalived"), _))
      .WillOnce(Return(Exited(1)));
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "my-start"), _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "pidof keepalived"), _))
      .WillOnce(Return(Exited(0, "4242\n")));
  auto controller = Make(Commands("my-start", "my-stop --now", "pidof keepalived"), &runner);
  absl::Status stopped = controller->Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
  absl::Status started = controller->Start();
  EXPECT_TRUE(started.ok()) << started;
}

TEST(CommandKeepalivedTest, StatusMapsExitCodes) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "check"), _))
      .WillOnce(Return(Exited(0, "running, pid 42\nmore\n")))
      .WillOnce(Return(Exited(0)))
      .WillOnce(Return(Exited(3)))
      .WillOnce(Return(Exited(1, "stopped\n")));
  auto controller = Make(Commands("a", "b", "check"), &runner);

  auto status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->managed);
  EXPECT_TRUE(status->running);
  EXPECT_EQ(status->detail, "running, pid 42");

  status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->running);
  EXPECT_EQ(status->detail, "\"check\" exited 0");

  status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->running);
  EXPECT_EQ(status->detail, "\"check\" exited 3");

  status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->running);
  EXPECT_EQ(status->detail, "stopped");
}

TEST(CommandKeepalivedTest, BrokenStatusCommandIsAnErrorNotStopped) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "chekc"), _))
      .WillOnce(Return(Exited(127, "", "/bin/sh: 1: chekc: not found\n")))
      .WillOnce(Return(Exited(126, "", "/bin/sh: 1: ./check: Permission denied\n")))
      .WillOnce(Return(Exited(137)));
  auto controller = Make(Commands("a", "b", "chekc"), &runner);
  auto status = controller->Status();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.status().message(),
            "keepalived status: \"chekc\" exited 127: /bin/sh: 1: chekc: not found");
  EXPECT_FALSE(controller->Status().ok());
  EXPECT_FALSE(controller->Status().ok());
}

TEST(CommandKeepalivedTest, StopFailureNamesConfiguredLine) {
  StrictMock<MockCommandRunner> runner;
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "kill $(cat /run/keepalived.pid)"), _))
      .WillOnce(Return(Exited(2, "", "cat: /run/keepalived.pid: No such file or directory\n")));
  absl::Status status =
      Make(Commands("a", "kill $(cat /run/keepalived.pid)", "c"), &runner)->Stop();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "keepalived stop: \"kill $(cat /run/keepalived.pid)\" exited 2: cat: "
            "/run/keepalived.pid: No such file or directory");
}

TEST(CommandKeepalivedTest, StopThatLeavesKeepalivedRunningIsAnError) {
  StrictMock<MockCommandRunner> runner;
  InSequence in_order;
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "stop-it"), _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(ElementsAre("/bin/sh", "-c", "is-up"), _))
      .WillOnce(Return(Exited(0, "up\n")));
  absl::Status status = Make(Commands("start-it", "stop-it", "is-up"), &runner)->Stop();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("keepalived stop: \"stop-it\" exited 0 but keepalived is still "
                         "running after 0 (status: up)"));
}

// ---------- none ----------

TEST(NoKeepalivedTest, RunsNothing) {
  StrictMock<MockCommandRunner> runner;  // any Run() call fails the test
  KeepalivedSettings settings;
  settings.control = "none";
  settings.start = "touch /should-not-run";
  auto controller = Make(settings, &runner);
  auto status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->managed);
  EXPECT_FALSE(status->running);
  EXPECT_EQ(status->detail, "not managed (control = none)");
  EXPECT_TRUE(controller->Start().ok());
  EXPECT_TRUE(controller->Stop().ok());
}

// ---------- the real runner, end to end ----------

class RealRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/keepalived_controller_test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    state_ = dir_ + "/running";
  }
  void TearDown() override {
    ::unlink(state_.c_str());
    ::rmdir(dir_.c_str());
  }
  bool StateExists() const {
    struct stat st;
    return ::stat(state_.c_str(), &st) == 0;
  }
  KeepalivedSettings FileCommands() const {
    return Commands(absl::StrCat("touch '", state_, "'"), absl::StrCat("rm -f '", state_, "'"),
                    absl::StrCat("test -f '", state_, "'"));
  }

  std::string dir_;
  std::string state_;
};

TEST_F(RealRunnerTest, CommandControlEndToEnd) {
  RealCommandRunner runner;
  auto controller = Make(FileCommands(), &runner);

  auto status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->running);

  absl::Status started = controller->Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(StateExists());
  status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->running);

  absl::Status stopped = controller->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped;
  EXPECT_FALSE(StateExists());
  status = controller->Status();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->running);
}

TEST_F(RealRunnerTest, NullRunnerMeansRealCommands) {
  auto controller = Make(FileCommands(), nullptr);
  absl::Status started = controller->Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_TRUE(StateExists());
}

TEST_F(RealRunnerTest, FailingAndLyingCommands) {
  RealCommandRunner runner;
  KeepalivedSettings settings = FileCommands();
  settings.stop = "echo 'cannot stop it' >&2; exit 4";
  auto controller = Make(settings, &runner);
  absl::Status status = controller->Stop();
  EXPECT_EQ(status.message(),
            "keepalived stop: \"echo 'cannot stop it' >&2; exit 4\" exited 4: cannot stop it");

  // A stop command that exits 0 and leaves "keepalived" running.
  ASSERT_TRUE(controller->Start().ok());
  settings.stop = "true";
  controller = Make(settings, &runner);
  status = controller->Stop();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              StartsWith("keepalived stop: \"true\" exited 0 but keepalived is still running"));
  EXPECT_TRUE(StateExists());

  // A status command that does not exist is an error, not "stopped".
  settings.status = "/nonexistent/keepalived-status";
  controller = Make(settings, &runner);
  auto state = controller->Status();
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(std::string(state.status().message()),
              StartsWith("keepalived status: \"/nonexistent/keepalived-status\" exited 127"));
}

// `exec` so the shell itself becomes sleep: the timeout kills the only process there is.
TEST_F(RealRunnerTest, CommandTimeout) {
  RealCommandRunner runner;
  KeepalivedSettings settings = FileCommands();
  settings.stop = "exec sleep 60";
  KeepalivedTiming timing = NoSettle();
  timing.command_timeout = absl::Milliseconds(200);
  auto controller = Make(settings, &runner, timing);
  absl::Time begin = absl::Now();
  absl::Status status = controller->Stop();
  EXPECT_LT(absl::Now() - begin, absl::Seconds(30));  // far below the 60 s sleep
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith("keepalived stop: "));
}

// Debian's dash forks for the last command of `sh -c`: killing only the shell on timeout
// would leave `sleep` holding the output pipes. RunCommand kills the whole process group.
TEST_F(RealRunnerTest, TimeoutAlsoEndsTheShellsChildren) {
  RealCommandRunner runner;
  KeepalivedSettings settings = FileCommands();
  settings.stop = "sleep 60; true";
  KeepalivedTiming timing = NoSettle();
  timing.command_timeout = absl::Milliseconds(200);
  auto controller = Make(settings, &runner, timing);
  absl::Time begin = absl::Now();
  absl::Status status = controller->Stop();
  EXPECT_LT(absl::Now() - begin, absl::Seconds(30));  // far below the 60 s sleep
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
}

}  // namespace
}  // namespace mmresync::agent
