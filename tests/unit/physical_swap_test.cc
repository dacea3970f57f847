// The physical method's swap record (agent/physical_swap.h) without a server: what an
// agent does at its start with a record a killed agent left, and what a repeated import
// of the run gets. Bringing the copy up needs a real mariadbd: FaultMatrixTest's
// PhysicalTargetAgentKilledAfterTheSwapThenResumeCompletes.

#include <sys/stat.h>

#include <string>

#include "absl/status/status.h"
#include "agent/physical_import.h"
#include "agent/physical_swap.h"
#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using ::testing::HasSubstr;

// Records what the agent asked of the service; never fails.
class RecordingService : public MariadbServiceController {
 public:
  std::string kind() const override { return "command"; }
  absl::StatusOr<MariadbServiceStatus> Status() override {
    return MariadbServiceStatus{true, running, running ? "running" : "stopped"};
  }
  absl::Status Start() override {
    ++starts;
    running = true;
    return absl::OkStatus();
  }
  absl::Status Stop() override {
    running = false;
    return absl::OkStatus();
  }
  bool running = false;
  int starts = 0;
};

class PhysicalSwapTest : public ::testing::Test {
 protected:
  std::string Datadir() const { return dir_.path() + "/data"; }

  v1::PhysicalSwapRecord Record(const std::string& run, bool settled) const {
    v1::PhysicalSwapRecord r;
    r.set_run_id(run);
    r.set_datadir(Datadir());
    r.set_settled(settled);
    r.mutable_result()->set_method("physical");
    r.mutable_result()->mutable_source_snapshot()->set_file("mysql-bin.000007");
    return r;
  }

  SwapContext Context() {
    SwapContext c;
    c.service = &service_;
    return c;
  }

  testing_util::TempDir dir_;
  RecordingService service_;
};

TEST_F(PhysicalSwapTest, NoRecordNothingToDo) {
  ASSERT_TRUE(FinishInterruptedSwap(Context(), dir_.path()).ok());
  EXPECT_EQ(service_.starts, 0);
  auto settled = SettledSwapResult(dir_.path(), "run1");
  ASSERT_TRUE(settled.ok()) << settled.status();
  EXPECT_FALSE(settled->has_value());
}

TEST_F(PhysicalSwapTest, RecordRoundTrips) {
  ASSERT_TRUE(WriteSwapRecord(dir_.path(), Record("run1", false)).ok());
  struct stat st;
  ASSERT_EQ(::stat(SwapRecordPath(dir_.path()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "it holds password hashes";
  auto read = ReadSwapRecord(dir_.path());
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
  EXPECT_EQ((*read)->run_id(), "run1");
  EXPECT_EQ((*read)->result().source_snapshot().file(), "mysql-bin.000007");
  ASSERT_TRUE(ClearSwapRecord(dir_.path()).ok());
  read = ReadSwapRecord(dir_.path());
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST_F(PhysicalSwapTest, AnUnreadableRecordIsAnErrorNamingIt) {
  ASSERT_TRUE(WriteFileAtomically(SwapRecordPath(dir_.path()), "not a record", 0600).ok());
  absl::Status s = FinishInterruptedSwap(Context(), dir_.path());
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(SwapRecordPath(dir_.path())));
  EXPECT_EQ(service_.starts, 0);
}

// Killed after the server stopped but before the old datadir was renamed aside: the
// old datadir is untouched; the agent starts mariadbd on it again and drops the record.
TEST_F(PhysicalSwapTest, StoppedBeforeTheRenameStartsTheOldDatadirAgain) {
  ASSERT_TRUE(MakeDirs(Datadir()).ok());
  ASSERT_TRUE(WriteSwapRecord(dir_.path(), Record("run1", false)).ok());
  ASSERT_TRUE(FinishInterruptedSwap(Context(), dir_.path()).ok());
  EXPECT_EQ(service_.starts, 1);
  auto read = ReadSwapRecord(dir_.path());
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST_F(PhysicalSwapTest, ASettledRecordIsLeftAloneAtTheStart) {
  ASSERT_TRUE(WriteSwapRecord(dir_.path(), Record("run1", true)).ok());
  ASSERT_TRUE(FinishInterruptedSwap(Context(), dir_.path()).ok());
  EXPECT_EQ(service_.starts, 0);
}

TEST_F(PhysicalSwapTest, ARepeatedImportOfTheSettledRunGetsItsResult) {
  ASSERT_TRUE(MakeDirs(PhysicalBackupDir(Datadir(), "run1")).ok());
  ASSERT_TRUE(WriteSwapRecord(dir_.path(), Record("run1", true)).ok());
  auto settled = SettledSwapResult(dir_.path(), "run1");
  ASSERT_TRUE(settled.ok() && settled->has_value()) << settled.status();
  EXPECT_EQ((*settled)->source_snapshot().file(), "mysql-bin.000007");
}

TEST_F(PhysicalSwapTest, ASettledRecordOfAnotherRunIsRemoved) {
  ASSERT_TRUE(WriteSwapRecord(dir_.path(), Record("run1", true)).ok());
  auto settled = SettledSwapResult(dir_.path(), "run2");
  ASSERT_TRUE(settled.ok()) << settled.status();
  EXPECT_FALSE(settled->has_value());
  auto read = ReadSwapRecord(dir_.path());
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST_F(PhysicalSwapTest, AnUnfinishedSwapRefusesEveryImportNamingIt) {
  ASSERT_TRUE(WriteSwapRecord(dir_.path(), Record("run1", false)).ok());
  auto settled = SettledSwapResult(dir_.path(), "run1");
  ASSERT_TRUE(absl::IsFailedPrecondition(settled.status())) << settled.status();
  EXPECT_THAT(std::string(settled.status().message()), HasSubstr("run run1's datadir swap"));
  EXPECT_THAT(std::string(settled.status().message()), HasSubstr("restart this agent"));
}

}  // namespace
}  // namespace mmresync::agent
