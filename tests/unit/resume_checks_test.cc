#include "coordinator/resume_checks.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// db1 the source holding the VIP, db2 the fenced target; the run stopped after the
// import, before phase 1, with the snapshot at bin.000002:1234.
class ResumeChecksTest : public ::testing::Test {
 protected:
  ResumeChecksTest() {
    run_.run_id = "20261130-r1";
    run_.source = "db1";
    run_.target = "db2";
    run_.failed = true;
    run_.failed_step = "phase1";
    run_.done_steps = {"fence-target", "stop-replication", "backup-target", "stream-import"};
    run_.records = {{"snapshot_file", "bin.000002"}, {"snapshot_pos", "1234"}};
    v1::NodeStatus s, t;
    s.set_node("db1");
    s.set_vip_configured(true);
    s.set_vip("10.0.0.100");
    s.set_vip_local(true);
    s.add_binary_logs("bin.000001");
    s.add_binary_logs("bin.000002");
    s.add_binary_logs("bin.000003");
    t.set_node("db2");
    t.set_vip_configured(true);
    t.set_vip("10.0.0.100");
    t.mutable_keepalived()->set_managed(true);
    t.mutable_keepalived()->set_running(false);
    view_.nodes[0].entry.name = "db1";
    view_.nodes[1].entry.name = "db2";
    view_.nodes[0].status = s;
    view_.nodes[1].status = t;
  }
  v1::NodeStatus& source() { return *view_.nodes[0].status; }
  v1::NodeStatus& target() { return *view_.nodes[1].status; }
  std::vector<std::string> Refusals() { return ResumeRefusals(run_, view_, roles_); }

  RunRecord run_;
  PairView view_;
  Roles roles_;  // source 0, target 1
};

TEST_F(ResumeChecksTest, AnUnchangedPairMayResume) { EXPECT_THAT(Refusals(), IsEmpty()); }

TEST_F(ResumeChecksTest, RefusesWhenTheSourceNoLongerHoldsTheVip) {
  source().set_vip_local(false);
  EXPECT_THAT(Refusals(),
              ElementsAre(AllOf(HasSubstr("the source db1 no longer holds the VIP"),
                                HasSubstr("on neither node"), HasSubstr("stopped at step phase1"),
                                HasSubstr("recover --abandon 20261130-r1"))));
}

TEST_F(ResumeChecksTest, RefusesWhenTheTargetWasUnfencedSince) {
  target().mutable_keepalived()->set_running(true);
  EXPECT_THAT(Refusals(), ElementsAre(AllOf(HasSubstr("the target db2 is no longer fenced"),
                                            HasSubstr("keepalived runs there again"))));
}

// Keepalived running on the target is expected once the run got to unfencing it.
TEST_F(ResumeChecksTest, KeepalivedOnTheTargetIsFineOnceTheUnfenceStarted) {
  run_.done_steps.push_back("phase1");
  run_.done_steps.push_back("phase2");
  run_.failed_step = "unfence";
  target().mutable_keepalived()->set_running(true);
  EXPECT_THAT(Refusals(), IsEmpty());
}

TEST_F(ResumeChecksTest, RefusesWhenTheSnapshotsBinaryLogWasPurged) {
  source().clear_binary_logs();
  source().add_binary_logs("bin.000003");
  source().add_binary_logs("bin.000004");
  EXPECT_THAT(
      Refusals(),
      ElementsAre(
          AllOf(HasSubstr("step phase1"), HasSubstr("db1 no longer has the binary log bin.000002"),
                HasSubstr("bin.000002:1234"), HasSubstr("it has bin.000003 .. bin.000004"))));
}

// Without the list the purge cannot be ruled out: refused, not assumed fine.
TEST_F(ResumeChecksTest, RefusesWhenTheSourceDidNotListItsBinaryLogs) {
  source().clear_binary_logs();
  EXPECT_THAT(Refusals(), ElementsAre(HasSubstr("did not list its binary logs")));
}

// Once phase 1 is done the snapshot's coordinates are no longer needed.
TEST_F(ResumeChecksTest, APurgedSnapshotLogIsFineOncePhaseOneIsDone) {
  run_.done_steps.push_back("phase1");
  source().clear_binary_logs();
  source().add_binary_logs("bin.000009");
  EXPECT_THAT(Refusals(), IsEmpty());
}

}  // namespace
}  // namespace mmresync::coordinator
