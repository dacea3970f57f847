#include "coordinator/recovery_plan.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "coordinator/replication_steps.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/pair_fixture.h"

namespace mmresync::coordinator {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using testing_util::PairInputs;

class RecoveryPlanTest : public ::testing::Test {
 protected:
  RecoveryPlanTest() : in_(PairInputs(config_)) {
    in_.view.nodes[0].status->mutable_repl_privileges()->add_accounts("repl@%");
    in_.view.nodes[1].status->mutable_repl_privileges()->add_accounts("repl@%");
  }

  static std::vector<std::string> Ids(const std::vector<Step>& steps) {
    std::vector<std::string> ids;
    for (const auto& s : steps) ids.push_back(s.id);
    return ids;
  }
  static const Step& Find(const std::vector<Step>& steps, const std::string& id) {
    static const Step kMissing;
    auto it = std::find_if(steps.begin(), steps.end(), [&](const Step& s) { return s.id == id; });
    if (it == steps.end()) {
      ADD_FAILURE() << "no step " << id;
      return kMissing;
    }
    return *it;
  }
  static std::vector<std::string> AllActions(const std::vector<Step>& steps) {
    std::vector<std::string> all;
    for (const auto& s : steps) all.insert(all.end(), s.actions.begin(), s.actions.end());
    return all;
  }

  ClusterConfig config_;
  PlanInputs in_;
};

TEST_F(RecoveryPlanTest, StepOrder) {
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  EXPECT_THAT(Ids(steps), ElementsAre("fence-target", "stop-replication", "backup-target",
                                      "stream-import", "phase1", "phase2", "unfence"));
  for (const auto& s : steps) {
    EXPECT_FALSE(s.title.empty()) << s.id;
    EXPECT_FALSE(s.actions.empty()) << s.id;
    EXPECT_TRUE(static_cast<bool>(s.run)) << s.id;
  }
}

TEST_F(RecoveryPlanTest, StepsRunOnTheRightNodes) {
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  EXPECT_EQ(Find(steps, "fence-target").node, "db2");
  EXPECT_EQ(Find(steps, "backup-target").node, "db2");
  EXPECT_EQ(Find(steps, "phase1").node, "db2");
  EXPECT_EQ(Find(steps, "phase2").node, "db1");
  EXPECT_EQ(Find(steps, "unfence").node, "db2");
  EXPECT_THAT(Find(steps, "stream-import").node, AllOf(StartsWith("db1"), HasSubstr("db2")));
}

TEST_F(RecoveryPlanTest, StopReplicationNamesTheSourceFirst) {
  for (int source : {0, 1}) {
    in_.roles = Roles{source, 1 - source, "test"};
    const std::string s = source == 0 ? "db1" : "db2";
    const std::string t = source == 0 ? "db2" : "db1";
    std::vector<Step> steps = BuildRecoveryPlan(in_);
    const Step& stop = Find(steps, "stop-replication");
    ASSERT_EQ(stop.actions.size(), 2u);
    EXPECT_THAT(stop.actions[0], AllOf(StartsWith(s + ": STOP SLAVE"), Not(HasSubstr("RESET"))));
    EXPECT_THAT(stop.actions[1], AllOf(StartsWith(t + ": STOP SLAVE"), HasSubstr("RESET SLAVE")));
    EXPECT_THAT(stop.node, StartsWith(s));
  }
}

TEST_F(RecoveryPlanTest, NoResetMasterAnywhere) {
  for (const auto& a : AllActions(BuildRecoveryPlan(in_))) {
    EXPECT_THAT(a, Not(HasSubstr("RESET MASTER"))) << a;
  }
}

TEST_F(RecoveryPlanTest, FenceBeforeStopBeforeBackupBeforeImport) {
  std::vector<std::string> ids = Ids(BuildRecoveryPlan(in_));
  auto pos = [&](const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) - ids.begin();
  };
  EXPECT_LT(pos("fence-target"), pos("stop-replication"));
  EXPECT_LT(pos("stop-replication"), pos("backup-target"));
  EXPECT_LT(pos("backup-target"), pos("stream-import"));
  EXPECT_LT(pos("stream-import"), pos("phase1"));
  EXPECT_LT(pos("phase1"), pos("phase2"));
  EXPECT_LT(pos("phase2"), pos("unfence"));
}

TEST_F(RecoveryPlanTest, BackupAbsentWithSkipBackup) {
  in_.options.skip_backup = true;
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  EXPECT_THAT(Ids(steps), ElementsAre("fence-target", "stop-replication", "stream-import", "phase1",
                                      "phase2", "unfence"));
}

TEST_F(RecoveryPlanTest, BackupNamesTheTargetsSchemas) {
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  const Step& backup = Find(steps, "backup-target");
  EXPECT_THAT(backup.actions[0], AllOf(StartsWith("db2:"), HasSubstr("shop_stale")));
}

TEST_F(RecoveryPlanTest, ImportDropsOnlyAfterTheStreamStartsAndWithoutBinlog) {
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  const Step& import = Find(steps, "stream-import");
  EXPECT_THAT(import.actions, Contains(AllOf(StartsWith("db1:"), HasSubstr("mariadb-dump"),
                                             HasSubstr("--master-data=2"), HasSubstr("shop"))));
  EXPECT_THAT(import.actions,
              Contains(AllOf(StartsWith("db2:"), HasSubstr("DROP DATABASE `shop_stale`"),
                             HasSubstr("after the first bytes"),
                             HasSubstr("SET SESSION sql_log_bin = 0"))));
  EXPECT_THAT(import.actions, Contains(AllOf(HasSubstr("sql_log_bin=0"), HasSubstr("no --force"))));
}

TEST_F(RecoveryPlanTest, HooksOnlyWhenConfigured) {
  EXPECT_THAT(Ids(BuildRecoveryPlan(in_)), Not(Contains("pause-hook")));
  EXPECT_THAT(Ids(BuildRecoveryPlan(in_)), Not(Contains("resume-hook")));

  config_.pause_hook = "/usr/local/bin/app-pause";
  std::vector<std::string> ids = Ids(BuildRecoveryPlan(in_));
  EXPECT_EQ(ids.front(), "pause-hook");
  EXPECT_THAT(ids, Not(Contains("resume-hook")));

  config_.pause_hook.clear();
  config_.resume_hook = "/usr/local/bin/app-resume";
  ids = Ids(BuildRecoveryPlan(in_));
  EXPECT_EQ(ids.back(), "resume-hook");
  EXPECT_THAT(ids, Not(Contains("pause-hook")));

  config_.pause_hook = "/usr/local/bin/app-pause";
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  EXPECT_THAT(Ids(steps),
              ElementsAre("pause-hook", "fence-target", "stop-replication", "backup-target",
                          "stream-import", "phase1", "phase2", "unfence", "resume-hook"));
  EXPECT_EQ(steps.front().node, "coordinator");
  EXPECT_THAT(steps.front().actions, ElementsAre(HasSubstr("/usr/local/bin/app-pause")));
  EXPECT_THAT(steps.back().actions, ElementsAre(HasSubstr("/usr/local/bin/app-resume")));
}

// A GTID pair's plan says it stays GTID: gtid_slave_pos from the snapshot (phase 1) and
// from the target's binlog position (phase 2), then MASTER_USE_GTID=<the recorded mode>.
TEST_F(RecoveryPlanTest, GtidPairIsPointedByGtidInBothPhases) {
  for (int i = 0; i < 2; ++i) {
    auto* r = in_.view.nodes[i].status->mutable_replica();
    r->set_configured(true);
    r->set_using_gtid(i == 0 ? "Current_Pos" : "Slave_Pos");
  }
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  EXPECT_THAT(
      Find(steps, "phase1").actions,
      Contains(AllOf(StartsWith("db2: STOP SLAVE; SET GLOBAL gtid_slave_pos = '<snapshot gtid>'"),
                     HasSubstr("MASTER_USE_GTID=slave_pos"), Not(HasSubstr("MASTER_LOG_FILE")))));
  EXPECT_THAT(
      Find(steps, "phase2").actions,
      Contains(AllOf(StartsWith("db1: STOP SLAVE; SET GLOBAL gtid_slave_pos = '<target gtid"),
                     HasSubstr("MASTER_USE_GTID=current_pos"))));
}

TEST_F(RecoveryPlanTest, ChangeMasterLinesMaskThePassword) {
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  int change_master_lines = 0;
  for (const auto& a : AllActions(steps)) {
    if (!absl::StrContains(a, "CHANGE MASTER")) continue;
    ++change_master_lines;
    EXPECT_THAT(a, HasSubstr("MASTER_PASSWORD='***'")) << a;
    EXPECT_THAT(a, HasSubstr("MASTER_USER='repl'")) << a;
    EXPECT_THAT(a, HasSubstr("MASTER_USE_GTID=no")) << a;
  }
  EXPECT_EQ(change_master_lines, 2);
  // Phase 1: the target follows the source; phase 2: the source follows the target.
  EXPECT_THAT(Find(steps, "phase1").actions,
              Contains(AllOf(StartsWith("db2: STOP SLAVE; CHANGE MASTER"),
                             HasSubstr("MASTER_HOST='10.0.0.1'"), HasSubstr("<snapshot file>"))));
  EXPECT_THAT(Find(steps, "phase2").actions,
              Contains(AllOf(StartsWith("db1: STOP SLAVE; CHANGE MASTER"),
                             HasSubstr("MASTER_HOST='10.0.0.2'"), HasSubstr("<target file>"))));
}

TEST_F(RecoveryPlanTest, NoSecretsInActions) {
  for (const auto& a : AllActions(BuildRecoveryPlan(in_))) {
    EXPECT_THAT(a, Not(HasSubstr("IDENTIFIED BY"))) << a;
    EXPECT_THAT(a, Not(HasSubstr("password="))) << a;
    if (absl::StrContains(a, "MASTER_PASSWORD")) {
      EXPECT_THAT(a, HasSubstr("MASTER_PASSWORD='***'")) << a;
    }
  }
}

TEST_F(RecoveryPlanTest, RerunOnResumeOnlyForIdempotentSteps) {
  config_.pause_hook = "p";
  config_.resume_hook = "r";
  for (const auto& s : BuildRecoveryPlan(in_)) {
    bool expected = s.id == "fence-target" || s.id == "stop-replication" || s.id == "unfence";
    EXPECT_EQ(s.rerun_on_resume, expected) << s.id;
    if (s.id == "stop-replication") {
      EXPECT_THAT(s.superseded_by, ElementsAre("stream-import"));
      EXPECT_FALSE(SkippedOnResume(s, {"stop-replication", "backup-target"}));
      EXPECT_TRUE(SkippedOnResume(s, {"stop-replication", "stream-import"}));
    } else {
      EXPECT_THAT(s.superseded_by, IsEmpty()) << s.id;
    }
  }
}

// An interrupted phase1 may have started the target's replica: resuming re-points it
// only if it has not reached the snapshot yet.
TEST(DecidePhase1Test, PointsStartsOrRefuses) {
  NodeEntry source;
  source.name = "db1";
  source.mariadb_host = "10.0.0.1";
  source.mariadb_port = 3306;
  v1::BinlogCoordinates snap;
  snap.set_file("mysql-bin.000007");
  snap.set_position(1000);
  v1::ReplicaStatus r;
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kPoint) << "not configured";
  r.set_configured(true);
  r.set_master_host("10.0.0.1");
  r.set_master_port(3306);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kPoint) << "RESET SLAVE: no position";
  r.set_master_log_file("mysql-bin.000007");
  r.set_exec_master_log_pos(999);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kPoint) << "before the snapshot";
  r.set_exec_master_log_pos(1000);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kRestart) << "at the snapshot";
  r.set_last_sql_errno(1062);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kRestart)
      << "an error at the snapshot itself: nothing applied, START SLAVE shows it again";
  r.set_exec_master_log_pos(5000);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kBroken) << "applied, then failed";
  r.set_last_sql_errno(0);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kRestart) << "applied, no error";
  r.set_master_log_file("mysql-bin.000008");
  r.set_exec_master_log_pos(4);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kRestart) << "a later file";
  r.set_master_log_file("other-bin.000009");
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kPoint) << "another binlog";
  r.set_master_log_file("mysql-bin.000008");
  r.set_master_port(3307);
  EXPECT_EQ(DecidePhase1(r, source, snap), Phase1Start::kPoint) << "another master";
}

TEST_F(RecoveryPlanTest, VipChecksOnlyWhenAVipIsConfigured) {
  std::vector<Step> with_vip = BuildRecoveryPlan(in_);
  EXPECT_THAT(Find(with_vip, "fence-target").actions,
              Contains(AllOf(HasSubstr("VIP absent on db2"), HasSubstr("present on db1"))));

  in_.view.nodes[0].status->set_vip_configured(false);
  in_.view.nodes[1].status->set_vip_configured(false);
  for (const auto& a : AllActions(BuildRecoveryPlan(in_))) {
    EXPECT_THAT(a, Not(StartsWith("check: VIP"))) << a;
  }
}

TEST_F(RecoveryPlanTest, UnreachableStatusesStillBuild) {
  in_.view.nodes[0].status = absl::UnavailableError("refused");
  in_.view.nodes[1].status = absl::UnavailableError("refused");
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  EXPECT_THAT(Find(steps, "stream-import").actions, Contains(HasSubstr("no user schema to drop")));
}

}  // namespace
}  // namespace mmresync::coordinator
