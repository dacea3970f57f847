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
  VipCheck Check() {
    script_.OnQuery("SHOW SLAVE STATUS",
                    Rows({"Slave_IO_Running", "Slave_SQL_Running"}, {{"Yes", "Yes"}}));
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

TEST_F(VipCheckMarkersTest, ADatabaseThatDoesNotAnswerIsAReason) {
  script_.FailOpen(absl::UnavailableError("Can't connect to local server through socket"));
  FakeDbSessionFactory db(&script_);
  VipCheck c = CheckVipFitness(db, dir_.path());
  EXPECT_THAT(c.reasons, ElementsAre(HasSubstr("the local database does not answer: Can't")));
}

}  // namespace
}  // namespace mmresync::agent
