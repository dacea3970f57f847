#include "common/fault_point.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::fault {
namespace {

using ::testing::HasSubstr;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Fault points are meant for this build: the test suite's (MMRESYNC_FAULT_POINTS=ON).
TEST(FaultPointTest, TheTestBuildHasThem) { EXPECT_TRUE(CompiledIn()); }

TEST(FaultPointTest, ParsesPointsByteCountsStepIdsAndActions) {
  auto parsed = ParseSpec(
      "after_drop=kill; target_stream:1048576=pause;step_done:phase1=stop;"
      "step_ran:stream-import=fail;");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ((*parsed)[0].point, "after_drop");
  EXPECT_EQ((*parsed)[0].action, Action::kKill);
  EXPECT_EQ((*parsed)[1].point, "target_stream");
  EXPECT_EQ((*parsed)[1].bytes, 1048576u);
  EXPECT_EQ((*parsed)[1].action, Action::kPause);
  EXPECT_EQ((*parsed)[2].point, "step_done:phase1");
  EXPECT_EQ((*parsed)[2].bytes, 0u);
  EXPECT_EQ((*parsed)[2].action, Action::kStop);
  EXPECT_EQ((*parsed)[3].point, "step_ran:stream-import");
  EXPECT_EQ((*parsed)[3].action, Action::kFail);
}

TEST(FaultPointTest, RefusesMalformedEntriesNamingThem) {
  for (const char* bad : {"after_drop", "after_drop=explode", "=kill", "x:0=kill",
                          "target_stream:12ab=kill", "../etc=kill", "a b=fail"}) {
    auto parsed = ParseSpec(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("MMRESYNC_FAULT_POINTS")) << bad;
  }
}

class ArmedTest : public ::testing::Test {
 protected:
  void TearDown() override { Disarm(); }
  testing_util::TempDir dir_;
};

TEST_F(ArmedTest, ArmingNeedsAnExistingMarkerDirectory) {
  EXPECT_EQ(Arm("after_drop=fail", "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Arm("after_drop=fail", dir_.path() + "/missing").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Arm("", "").ok());  // nothing armed: nothing to mark
}

TEST_F(ArmedTest, UnarmedPointsDoNothing) {
  ASSERT_TRUE(Arm("after_drop=fail", dir_.path()).ok());
  EXPECT_TRUE(Hit("after_swap").ok());
  EXPECT_TRUE(HitBytes("source_stream", 1 << 20).ok());
  EXPECT_FALSE(Exists(dir_.path() + "/after_swap.hit"));
}

TEST_F(ArmedTest, FailReturnsAnErrorNamingThePointOnceAndLeavesAMarker) {
  ASSERT_TRUE(Arm("after_drop=fail", dir_.path()).ok());
  absl::Status first = Hit("after_drop");
  EXPECT_FALSE(first.ok());
  EXPECT_THAT(first.message(), HasSubstr("fault point after_drop"));
  EXPECT_TRUE(Exists(dir_.path() + "/after_drop.hit"));
  EXPECT_TRUE(Hit("after_drop").ok()) << "a point fires once per process";
}

TEST_F(ArmedTest, MarkOnlyLeavesTheMarker) {
  ASSERT_TRUE(Arm("source_stream:10=mark", dir_.path()).ok());
  EXPECT_TRUE(HitBytes("source_stream", 10).ok());
  EXPECT_TRUE(Exists(dir_.path() + "/source_stream.hit"));
}

TEST_F(ArmedTest, ABytePointFiresAtTheHitThatReachesItsCount) {
  ASSERT_TRUE(Arm("target_stream:1000=fail", dir_.path()).ok());
  EXPECT_TRUE(HitBytes("target_stream", 400).ok());
  EXPECT_TRUE(HitBytes("target_stream", 599).ok());
  EXPECT_FALSE(Exists(dir_.path() + "/target_stream.hit"));
  absl::Status crossing = HitBytes("target_stream", 1);
  EXPECT_FALSE(crossing.ok());
  EXPECT_THAT(crossing.message(), HasSubstr("target_stream:1000"));
  EXPECT_TRUE(HitBytes("target_stream", 5000).ok());
}

TEST_F(ArmedTest, PauseHoldsTheCallerUntilTheContinueFileAppears) {
  ASSERT_TRUE(Arm("step_done:phase1=pause", dir_.path()).ok());
  std::atomic<bool> returned{false};
  absl::Status result = absl::UnknownError("not returned");
  std::thread caller([&] {
    result = Hit("step_done:phase1");
    returned = true;
  });
  const std::string hit = dir_.path() + "/step_done:phase1.hit";
  for (int i = 0; i < 500 && !Exists(hit); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(Exists(hit));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(returned.load()) << "the caller went on before it was released";
  std::ofstream(dir_.path() + "/step_done:phase1.continue") << "go\n";
  caller.join();
  EXPECT_TRUE(returned.load());
  EXPECT_TRUE(result.ok()) << result;
}

TEST_F(ArmedTest, KillIsAKillNineOfTheProcessItself) {
  const std::string dir = dir_.path();
  EXPECT_EXIT(
      {
        if (!Arm("after_drop=kill", dir).ok()) _exit(3);
        (void)Hit("after_drop");
        _exit(0);  // not reached when the point killed the process
      },
      ::testing::KilledBySignal(SIGKILL), "");
  EXPECT_TRUE(Exists(dir + "/after_drop.hit"));
}

TEST_F(ArmedTest, StopSigstopsTheProcessItselfUntilItIsContinued) {
  const std::string dir = dir_.path();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (!Arm("step_done:fence-target=stop", dir).ok()) _exit(3);
    (void)Hit("step_done:fence-target");
    _exit(7);  // after SIGCONT
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, WUNTRACED), child);
  EXPECT_TRUE(WIFSTOPPED(status));
  EXPECT_TRUE(Exists(dir + "/step_done:fence-target.hit"));
  kill(child, SIGCONT);
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST_F(ArmedTest, ArmFromEnvironmentReadsBothVariables) {
  ASSERT_EQ(setenv(kPointsVariable, "after_swap=fail", 1), 0);
  ASSERT_EQ(setenv(kDirVariable, dir_.path().c_str(), 1), 0);
  absl::Status armed = ArmFromEnvironment();
  unsetenv(kPointsVariable);
  unsetenv(kDirVariable);
  ASSERT_TRUE(armed.ok()) << armed;
  EXPECT_FALSE(Hit("after_swap").ok());
}

TEST_F(ArmedTest, ArmFromEnvironmentRefusesABadValue) {
  ASSERT_EQ(setenv(kPointsVariable, "after_swap=sometimes", 1), 0);
  ASSERT_EQ(setenv(kDirVariable, dir_.path().c_str(), 1), 0);
  absl::Status armed = ArmFromEnvironment();
  unsetenv(kPointsVariable);
  unsetenv(kDirVariable);
  EXPECT_EQ(armed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(armed.message(), HasSubstr("sometimes"));
}

}  // namespace
}  // namespace mmresync::fault
