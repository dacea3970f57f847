#include "agent/fence_keeper.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSessionFactory;
using fakes::Rows;

constexpr char kReadOnlyQuery[] = "SELECT @@GLOBAL.read_only AS ro";

class FenceKeeperTest : public ::testing::Test {
 protected:
  FenceKeeperTest()
      : factory_(&script_),
        keeper_(
            dir_.path(), &factory_,
            [this](const std::string& run) { return leased_.count(run) > 0; },
            absl::ZeroDuration()) {}

  void ServerSays(const std::string& read_only) {
    script_.OnQuery(kReadOnlyQuery, Rows({"ro"}, {{read_only}}));
  }
  int SetsOn() const {
    return static_cast<int>(script_.StatementsStartingWith("SET GLOBAL read_only = ON").size());
  }

  FakeDbScript script_;
  FakeDbSessionFactory factory_;
  testing_util::TempDir dir_;
  std::set<std::string> leased_;
  FenceKeeper keeper_;
};

// The case it exists for: the fenced target's mariadbd restarted mid-run and came back
// with my.cnf's read_only=OFF.
TEST_F(FenceKeeperTest, PutsReadOnlyBackOnWhileTheFencingRunHoldsTheLease) {
  leased_.insert("run1");
  ASSERT_TRUE(keeper_.Apply(true, "run1").ok());
  EXPECT_EQ(keeper_.fenced_by(), "run1");
  EXPECT_EQ(SetsOn(), 1);
  ServerSays("0");
  auto changed = keeper_.CheckOnce();
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_EQ(SetsOn(), 2);
  ServerSays("1");
  changed = keeper_.CheckOnce();
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(SetsOn(), 2);
}

// Without the lease (the run ended, failed or was abandoned) an operator may lift the
// fence by hand: it is left alone.
TEST_F(FenceKeeperTest, LeavesReadOnlyAloneOnceTheRunNoLongerHoldsTheLease) {
  leased_.insert("run1");
  ASSERT_TRUE(keeper_.Apply(true, "run1").ok());
  leased_.clear();
  ServerSays("0");
  auto changed = keeper_.CheckOnce();
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(SetsOn(), 1);
}

TEST_F(FenceKeeperTest, TheUnfenceEndsIt) {
  leased_.insert("run1");
  ASSERT_TRUE(keeper_.Apply(true, "run1").ok());
  ASSERT_TRUE(keeper_.Apply(false, "run1").ok());
  EXPECT_EQ(keeper_.fenced_by(), "");
  ServerSays("0");
  auto changed = keeper_.CheckOnce();
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(*changed);
  EXPECT_EQ(SetsOn(), 1);
}

// A failed read_only OFF leaves the node fenced, and so marked.
TEST_F(FenceKeeperTest, AFailedUnfenceKeepsTheMark) {
  leased_.insert("run1");
  ASSERT_TRUE(keeper_.Apply(true, "run1").ok());
  script_.Fail("SET GLOBAL read_only = OFF", absl::InternalError("ERROR 2013"));
  EXPECT_FALSE(keeper_.Apply(false, "run1").ok());
  EXPECT_EQ(keeper_.fenced_by(), "run1");
}

TEST_F(FenceKeeperTest, AServerThatIsDownIsAnError) {
  leased_.insert("run1");
  ASSERT_TRUE(keeper_.Apply(true, "run1").ok());
  script_.FailOpen(absl::UnavailableError("can't connect"));
  EXPECT_FALSE(keeper_.CheckOnce().ok());
}

}  // namespace
}  // namespace mmresync::agent
