// `mmresync-agent check`'s verdict (keepalived vrrp_script) from the markers a run leaves
// and the local database, with a fake database.

#include "agent/vip_check.h"

#include "absl/strings/str_join.h"
#include "agent/node_markers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/replica_status_fixture.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSessionFactory;
using fakes::Rows;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::Replica;
using testing_util::TempDir;

TEST(VipCheckTest, ReplicationRunningOrConnectingIsFine) {
  EXPECT_THAT(ReplicationProblems(Replica("Yes", "Yes")), IsEmpty());
  EXPECT_THAT(ReplicationProblems(Replica("Connecting", "Yes")), IsEmpty());
  EXPECT_THAT(ReplicationProblems(v1::ReplicaStatus()), IsEmpty());
}

TEST(VipCheckTest, AStoppedThreadIsAReasonWithItsError) {
  v1::ReplicaStatus r = Replica("Yes", "No");
  r.set_last_sql_errno(1062);
  r.set_last_sql_error("Duplicate entry '7'");
  EXPECT_THAT(ReplicationProblems(r),
              ElementsAre("replication SQL thread is No (error 1062: Duplicate entry '7')"));
  EXPECT_THAT(ReplicationProblems(Replica("No", "Yes")),
              ElementsAre("replication IO thread is not running"));
}

class VipCheckMarkersTest : public ::testing::Test {
 protected:
  VipCheck Check(const std::string& io = "Yes", const std::string& sql = "Yes",
                 const std::string& sql_errno = "0") {
    script_.OnQuery(
        "SHOW SLAVE STATUS",
        Rows({"Slave_IO_Running", "Slave_SQL_Running", "Last_SQL_Errno"}, {{io, sql, sql_errno}}));
    FakeDbSessionFactory db(&script_);
    return CheckVipFitness(db, dir_.path());
  }
  TempDir dir_;
  FakeDbScript script_;
};

TEST_F(VipCheckMarkersTest, AHealthyUnfencedNodeMayHoldTheVip) {
  VipCheck c = Check();
  EXPECT_TRUE(c.ok()) << absl::StrJoin(c.reasons, "; ");
  EXPECT_EQ(c.facts, "database up, replication IO Yes, SQL Yes");
}

TEST_F(VipCheckMarkersTest, AFenceAndAnUnfinishedImportAreReasonsUntilCleared) {
  ASSERT_TRUE(SetMarker(dir_.path(), NodeMarker::kFenced, "run-1").ok());
  ASSERT_TRUE(SetMarker(dir_.path(), NodeMarker::kImportIncomplete, "run-1").ok());
  VipCheck c = Check();
  ASSERT_EQ(c.reasons.size(), 2u);
  EXPECT_THAT(c.reasons[0], HasSubstr("fenced by mmresync run run-1"));
  EXPECT_THAT(c.reasons[1], HasSubstr("the import of mmresync run run-1 did not finish"));
  ASSERT_TRUE(ClearMarker(dir_.path(), NodeMarker::kFenced).ok());
  ASSERT_TRUE(ClearMarker(dir_.path(), NodeMarker::kImportIncomplete).ok());
  ASSERT_TRUE(ClearMarker(dir_.path(), NodeMarker::kImportIncomplete).ok());  // gone: fine
  EXPECT_TRUE(Check().ok());
}

// The source's replication is stopped by the run's "stop replication" step and started
// again in phase 2: in between, the VIP holder must keep passing its check.
TEST_F(VipCheckMarkersTest, ReplicationARunStoppedCleanlyIsNotAReason) {
  EXPECT_FALSE(Check("No", "No").ok()) << "stopped, no run: a reason";
  ASSERT_TRUE(SetMarker(dir_.path(), NodeMarker::kReplicationStopped, "run-7").ok());
  VipCheck c = Check("No", "No");
  EXPECT_TRUE(c.ok()) << absl::StrJoin(c.reasons, "; ");
  EXPECT_THAT(c.facts, HasSubstr("stopped by mmresync run run-7"));
  ASSERT_TRUE(ClearMarker(dir_.path(), NodeMarker::kReplicationStopped).ok());
  EXPECT_FALSE(Check("No", "No").ok());
}

TEST_F(VipCheckMarkersTest, ReplicationStoppedOnAnErrorIsAReasonEvenDuringARun) {
  ASSERT_TRUE(SetMarker(dir_.path(), NodeMarker::kReplicationStopped, "run-7").ok());
  VipCheck c = Check("Yes", "No", "1062");
  EXPECT_THAT(c.reasons, ElementsAre(HasSubstr("replication SQL thread is No (error 1062")));
}

TEST_F(VipCheckMarkersTest, ADatabaseThatDoesNotAnswerIsAReason) {
  script_.FailOpen(absl::UnavailableError("Can't connect to local server through socket"));
  FakeDbSessionFactory db(&script_);
  VipCheck c = CheckVipFitness(db, dir_.path());
  EXPECT_THAT(c.reasons, ElementsAre(HasSubstr("the local database does not answer: Can't")));
}

}  // namespace
}  // namespace mmresync::agent
