// What the fence, phase 1 and phase 2 steps send (the request protos, through a recording
// fake of the agent API), and that `plan` prints for them the statements the agent runs.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "agent/replication_control.h"
#include "coordinator/agent_requests.h"
#include "coordinator/fence_steps.h"
#include "coordinator/phase2_connect.h"
#include "coordinator/replication_steps.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/pair_fixture.h"
#include "tests/unit/recording_agent.h"

namespace mmresync::coordinator {
namespace {

using fakes::NullSink;
using fakes::RecordingAgent;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kKeepalived[] = "mmresync.v1.KeepalivedRequest";
constexpr char kReadOnly[] = "mmresync.v1.SetReadOnlyRequest";
constexpr char kChangeMaster[] = "mmresync.v1.ChangeMasterRequest";
constexpr char kStartReplica[] = "mmresync.v1.StartReplicaRequest";
constexpr char kStopReplica[] = "mmresync.v1.StopReplicaRequest";

// The statements agent::ChangeMaster runs for `request` with repl_user "repl" (the
// session's own log settings left out), the password masked as a plan masks it.
std::string AgentRuns(const v1::ChangeMasterRequest& request) {
  agent::fakes::FakeDbScript script;
  agent::fakes::FakeDbSession session(&script);
  ChangeMasterTarget target = ChangeMasterTargetOf(request, "repl");
  target.password = "pw";
  absl::Status s = agent::ChangeMaster(session, target);
  EXPECT_TRUE(s.ok()) << s;
  std::vector<std::string> run;
  for (const std::string& sql : script.statements()) {
    if (absl::StartsWith(sql, "SET SESSION ")) continue;
    run.push_back(absl::StrReplaceAll(sql, {{"MASTER_PASSWORD='pw'", "MASTER_PASSWORD='***'"}}));
  }
  return absl::StrJoin(run, "; ");
}

class StepRequestsTest : public ::testing::Test {
 protected:
  StepRequestsTest()
      : in_(testing_util::PairInputs(config_)),
        source_(config_.nodes[0], *in_.view.nodes[0].status),
        target_(config_.nodes[1], *in_.view.nodes[1].status) {
    for (int i = 0; i < 2; ++i)
      in_.view.nodes[i].status->mutable_repl_privileges()->add_accounts("repl@%");
    ctx_.run_id = "run-7";
    ctx_.config = &config_;
    ctx_.source = &source_;
    ctx_.target = &target_;
    ctx_.view = in_.view;
    ctx_.roles = in_.roles;
    ctx_.sink = &sink_;
    ctx_.options.vip_wait = absl::Seconds(1);
    ctx_.options.replica_wait = absl::Seconds(1);
  }

  // Both nodes replicated by GTID (slave_pos), the source with gtid_strict_mode.
  void GtidPair(bool strict) {
    for (int i = 0; i < 2; ++i) {
      auto* r = in_.view.nodes[i].status->mutable_replica();
      r->set_configured(true);
      r->set_using_gtid("Slave_Pos");
    }
    in_.view.nodes[0].status->set_gtid_strict_mode(strict);
    in_.view.nodes[1].status->set_gtid_strict_mode(strict);
    ctx_.records["target_use_gtid"] = "slave_pos";
    ctx_.records["source_use_gtid"] = "slave_pos";
    ctx_.records["source_gtid_strict"] = strict ? "1" : "0";
    ctx_.records["target_gtid_strict"] = strict ? "1" : "0";
  }

  void Snapshot() {
    ctx_.records["snapshot_file"] = "mysql-bin.000042";
    ctx_.records["snapshot_pos"] = "1234";
    ctx_.records["snapshot_gtid"] = "0-1-100";
  }

  // The plan's line that holds `what`, placeholders replaced by the values a run has.
  static std::string PlanLine(const Step& step, const std::string& what,
                              const std::vector<std::pair<std::string, std::string>>& values) {
    for (const std::string& a : step.actions) {
      if (absl::StrContains(a, what)) return absl::StrReplaceAll(a, values);
    }
    ADD_FAILURE() << "no plan line with " << what << " in " << step.id;
    return "";
  }

  ClusterConfig config_;
  PlanInputs in_;
  RecordingAgent source_;
  RecordingAgent target_;
  NullSink sink_;
  RunContext ctx_;
};

TEST_F(StepRequestsTest, FenceStopsKeepalivedThenSetsReadOnlyOnTheTargetOnly) {
  Step fence = FenceTargetStep(FactsOf(in_));
  ASSERT_TRUE(fence.run(ctx_).ok());
  EXPECT_THAT(target_.SentTypes(), ElementsAre(kKeepalived, kReadOnly));
  EXPECT_THAT(source_.SentTypes(), IsEmpty());
  v1::KeepalivedRequest ka = target_.Sent<v1::KeepalivedRequest>().at(0);
  EXPECT_EQ(ka.run_id(), "run-7");
  EXPECT_EQ(ka.action(), v1::KeepalivedRequest::STOP);
  v1::SetReadOnlyRequest ro = target_.Sent<v1::SetReadOnlyRequest>().at(0);
  EXPECT_EQ(ro.run_id(), "run-7");
  EXPECT_TRUE(ro.read_only());
  EXPECT_EQ(ctx_.records["target_read_only"], "0");
  // The plan prints the statement the agent runs for what was sent.
  EXPECT_EQ(fence.actions.back(), "db2: " + RequestText(ro));
  EXPECT_EQ(fence.actions.back(), "db2: SET GLOBAL read_only = ON");
}

TEST_F(StepRequestsTest, StopReplicationStopsTheSourceThenResetsTheTarget) {
  Step stop = StopReplicationStep(FactsOf(in_));
  ASSERT_TRUE(stop.run(ctx_).ok());
  EXPECT_THAT(source_.SentTypes(), ElementsAre(kStopReplica));
  EXPECT_THAT(target_.SentTypes(), ElementsAre(kStopReplica));
  EXPECT_FALSE(source_.Sent<v1::StopReplicaRequest>().at(0).reset());
  EXPECT_TRUE(target_.Sent<v1::StopReplicaRequest>().at(0).reset());
  EXPECT_EQ(stop.actions.at(1), "db2: STOP SLAVE; RESET SLAVE");
}

TEST_F(StepRequestsTest, Phase1PointsTheTargetAtTheSnapshotThenStartsIt) {
  Snapshot();
  Step phase1 = Phase1Step(FactsOf(in_));
  ASSERT_TRUE(phase1.precondition(ctx_).ok());
  ASSERT_TRUE(phase1.run(ctx_).ok());
  EXPECT_THAT(target_.SentTypes(), ElementsAre(kChangeMaster, kStartReplica));
  EXPECT_THAT(source_.SentTypes(), IsEmpty());
  v1::ChangeMasterRequest cm = target_.Sent<v1::ChangeMasterRequest>().at(0);
  EXPECT_EQ(cm.run_id(), "run-7");
  EXPECT_EQ(cm.master_host(), "10.0.0.1");
  EXPECT_EQ(cm.master_port(), 3306u);
  EXPECT_EQ(cm.coordinates().file(), "mysql-bin.000042");
  EXPECT_EQ(cm.coordinates().position(), 1234u);
  EXPECT_EQ(cm.use_gtid(), "no");
  EXPECT_EQ(cm.gtid_slave_pos(), "");
  EXPECT_FALSE(cm.gtid_not_behind_own_binlog());
  EXPECT_EQ(target_.Sent<v1::StartReplicaRequest>().at(0).run_id(), "run-7");
}

TEST_F(StepRequestsTest, Phase1OfAGtidPairPointsAtTheSnapshotGtid) {
  GtidPair(/*strict=*/false);
  Snapshot();
  ASSERT_TRUE(Phase1Step(FactsOf(in_)).run(ctx_).ok());
  v1::ChangeMasterRequest cm = target_.Sent<v1::ChangeMasterRequest>().at(0);
  EXPECT_EQ(cm.use_gtid(), "slave_pos");
  EXPECT_EQ(cm.gtid_slave_pos(), "0-1-100");
  EXPECT_FALSE(cm.gtid_not_behind_own_binlog());
}

// A strict target refuses a replica position missing or behind a domain of its own binlog
// (a source without log_slave_updates has none of the target's GTIDs in its snapshot).
TEST_F(StepRequestsTest, Phase1OfAStrictGtidTargetAsksTheAgentToRaiseThePosition) {
  GtidPair(/*strict=*/true);
  Snapshot();
  Step phase1 = Phase1Step(FactsOf(in_));
  ASSERT_TRUE(phase1.run(ctx_).ok());
  v1::ChangeMasterRequest cm = target_.Sent<v1::ChangeMasterRequest>().at(0);
  EXPECT_EQ(cm.gtid_slave_pos(), "0-1-100");
  EXPECT_TRUE(cm.gtid_not_behind_own_binlog());
  EXPECT_THAT(PlanLine(phase1, "CHANGE MASTER", {}),
              ::testing::HasSubstr("raised to db2's own newest"));
}

TEST_F(StepRequestsTest, Phase1AlreadyPastTheSnapshotOnlyStarts) {
  Snapshot();
  auto* r = target_.status().mutable_replica();
  r->set_configured(true);
  r->set_master_host("10.0.0.1");
  r->set_master_port(3306);
  r->set_master_log_file("mysql-bin.000042");
  r->set_exec_master_log_pos(2000);
  ASSERT_TRUE(Phase1Step(FactsOf(in_)).run(ctx_).ok());
  EXPECT_THAT(target_.SentTypes(), ElementsAre(kStartReplica));
}

TEST_F(StepRequestsTest, Phase1WithoutSnapshotFailsItsPreconditionBeforeSending) {
  Step phase1 = Phase1Step(FactsOf(in_));
  ASSERT_TRUE(static_cast<bool>(phase1.precondition));
  absl::Status s = phase1.precondition(ctx_);
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(target_.SentTypes(), IsEmpty());
}

TEST_F(StepRequestsTest, Phase2PointsTheSourceAtTheTargetsPositionAfterTheImport) {
  target_.status().mutable_master()->set_file("mysql-bin.000007");
  target_.status().mutable_master()->set_position(888);
  target_.status().mutable_master()->set_gtid("0-2-5");
  ASSERT_TRUE(Phase2Step(FactsOf(in_)).run(ctx_).ok());
  EXPECT_THAT(source_.SentTypes(), ElementsAre(kChangeMaster, kStartReplica));
  EXPECT_THAT(target_.SentTypes(), IsEmpty());
  v1::ChangeMasterRequest cm = source_.Sent<v1::ChangeMasterRequest>().at(0);
  EXPECT_EQ(cm.master_host(), "10.0.0.2");
  EXPECT_EQ(cm.coordinates().file(), "mysql-bin.000007");
  EXPECT_EQ(cm.coordinates().position(), 888u);
  EXPECT_EQ(cm.use_gtid(), "no");
  EXPECT_EQ(ctx_.records["target_file"], "mysql-bin.000007");
  EXPECT_EQ(ctx_.records["target_gtid"], "0-2-5");
}

TEST_F(StepRequestsTest, Phase2OfAStrictGtidSourceAsksTheAgentToRaiseThePosition) {
  GtidPair(/*strict=*/true);
  target_.status().mutable_master()->set_file("mysql-bin.000007");
  target_.status().mutable_master()->set_position(888);
  target_.status().mutable_master()->set_gtid("0-2-5");
  target_.status().set_gtid_binlog_state("0-2-5");
  ASSERT_TRUE(Phase2Step(FactsOf(in_)).run(ctx_).ok());
  v1::ChangeMasterRequest cm = source_.Sent<v1::ChangeMasterRequest>().at(0);
  EXPECT_EQ(cm.use_gtid(), "slave_pos");
  EXPECT_EQ(cm.gtid_slave_pos(), "0-2-5");
  EXPECT_TRUE(cm.gtid_not_behind_own_binlog());
}

// A strict GTID pair at the start of phase 2: db1 (server 1, domain 1) wrote nothing
// since the snapshot 1-1-100; db2 (server 2, domain 2) replicates from it at that GTID,
// which it holds in its data (the import) but not in its binlog, and has applied `applied`.
class StrictPhase2Test : public StepRequestsTest {
 protected:
  void SetUp() override {
    GtidPair(/*strict=*/true);
    ctx_.records["snapshot_gtid"] = "1-1-100,2-2-5";
    source_.status().set_server_id(1);
    source_.status().set_gtid_binlog_state("1-1-100,2-2-5");
    target_.status().set_server_id(2);
    target_.status().mutable_master()->set_file("mysql-bin.000007");
    target_.status().mutable_master()->set_gtid("1-1-90,2-2-5");
    TargetApplied("1-1-100");
    target_.status().mutable_replica()->set_io_running("Yes");
    target_.status().mutable_replica()->set_sql_running("Yes");
    target_.status().mutable_replica()->set_read_master_log_file("mysql-bin.000003");
    source_.set_shared_log(&log_);
    target_.set_shared_log(&log_);
  }
  // db2's replica position in db1's domain, and what it binlogged of db1's.
  void TargetApplied(const std::string& gtid) {
    target_.status().set_gtid_slave_pos(gtid);
    target_.status().set_gtid_binlog_state(gtid == "1-1-100" ? "1-1-90,2-2-5" : gtid + ",2-2-5");
  }
  std::vector<std::string> log_;
};

// The source connects while the target's replica is stopped at that GTID (MariaDB then
// accepts it), and the target's replica starts again only after the source's master
// (the target) answered.
TEST_F(StrictPhase2Test, ASourceThatWroteNothingSinceTheSnapshotConnectsWhileTheTargetWaits) {
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(log_, ElementsAre("db1 ChangeMasterRequest", "db2 StopReplicaRequest",
                                "db1 StartReplicaRequest", "db2 StartReplicaRequest"));
  EXPECT_TRUE(source_.Sent<v1::ChangeMasterRequest>().at(0).gtid_not_behind_own_binlog());
  EXPECT_FALSE(target_.Sent<v1::StopReplicaRequest>().at(0).reset());
}

// "IO Yes" is not enough: until the master answered, it may still refuse the position,
// so the target is not let go; when the answer never comes the step fails and the
// target's replica is started again all the same.
TEST_F(StrictPhase2Test, ASourceTheTargetNeverAnswersFailsAndTheTargetReplicatesAgain) {
  source_.set_master_first_answer("");
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_THAT(s.message(), ::testing::HasSubstr("has not answered the binlog request"));
  EXPECT_THAT(log_, ElementsAre("db1 ChangeMasterRequest", "db2 StopReplicaRequest",
                                "db1 StartReplicaRequest", "db2 StartReplicaRequest"));
  EXPECT_EQ(target_.status().replica().sql_running(), "Yes");
}

// A target already past the source's position when stopped (the source wrote meanwhile)
// is let go and the position raised again; bounded, and the target replicates after.
TEST_F(StrictPhase2Test, ATargetPastTheSourcesPositionIsNotConnectedToAndTheRaiseIsRetried) {
  TargetApplied("1-1-101");
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_THAT(s.message(), ::testing::HasSubstr("1-1-100 was passed by db2's replica"));
  EXPECT_EQ(source_.Sent<v1::ChangeMasterRequest>().size(), size_t{kRaiseAttempts});
  EXPECT_THAT(source_.Sent<v1::StartReplicaRequest>(), IsEmpty());
  EXPECT_EQ(target_.status().replica().sql_running(), "Yes");
}

// Once the source wrote since the snapshot, its position is one the target binlogs as it
// replicates it: no stop of the target.
TEST_F(StrictPhase2Test, ASourceThatWroteSinceTheSnapshotConnectsWithoutStoppingTheTarget) {
  source_.status().set_gtid_binlog_state("1-1-104,2-2-5");
  TargetApplied("1-1-104");
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(log_, ElementsAre("db1 ChangeMasterRequest", "db1 StartReplicaRequest"));
}

// A current_pos source asks for its newest GTIDs whatever was raised: a write since the
// raise is refused by the stopped target (1236), and the position is raised again.
TEST_F(StrictPhase2Test, ACurrentPosSourceRefusedWhileTheTargetWaitsIsRaisedAgain) {
  ctx_.records["source_use_gtid"] = "current_pos";
  source_.refuse_starts(1);
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(log_, ElementsAre("db1 ChangeMasterRequest", "db2 StopReplicaRequest",
                                "db1 StartReplicaRequest", "db2 StartReplicaRequest",
                                "db1 ChangeMasterRequest", "db2 StopReplicaRequest",
                                "db1 StartReplicaRequest", "db2 StartReplicaRequest"));
}

// Other refusals fail the step at once, with the server's error; the target replicates.
TEST_F(StrictPhase2Test, ASlavePosSourceRefusedFailsWithTheErrorAndTheTargetReplicates) {
  source_.refuse_starts(1);
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("IO thread stopped with error 1236")) << s;
  EXPECT_EQ(source_.Sent<v1::ChangeMasterRequest>().size(), 1u);
  EXPECT_EQ(target_.status().replica().io_running(), "Yes");
}

// Without gtid_strict_mode MariaDB starts a replica past a missing GTID: nothing stopped.
TEST_F(StrictPhase2Test, ANonStrictSourceConnectsWithoutStoppingTheTarget) {
  GtidPair(/*strict=*/false);
  absl::Status s = Phase2Step(FactsOf(in_)).run(ctx_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(log_, ElementsAre("db1 ChangeMasterRequest", "db1 StartReplicaRequest"));
}

// The plan's CHANGE MASTER line, with the run's values put in for its placeholders, is
// exactly what the agent runs for the request the step sent.
TEST_F(StepRequestsTest, PlanChangeMasterTextIsWhatTheAgentRunsForTheSentRequest) {
  Snapshot();
  Step phase1 = Phase1Step(FactsOf(in_));
  ASSERT_TRUE(phase1.run(ctx_).ok());
  EXPECT_EQ(PlanLine(phase1, "CHANGE MASTER",
                     {{"<snapshot file>", "mysql-bin.000042"}, {"<snapshot pos>", "1234"}}),
            "db2: " + AgentRuns(target_.Sent<v1::ChangeMasterRequest>().at(0)));

  target_.status().mutable_master()->set_file("mysql-bin.000007");
  target_.status().mutable_master()->set_position(888);
  Step phase2 = Phase2Step(FactsOf(in_));
  ASSERT_TRUE(phase2.run(ctx_).ok());
  EXPECT_EQ(PlanLine(phase2, "CHANGE MASTER",
                     {{"<target file>", "mysql-bin.000007"}, {"<target pos>", "888"}}),
            "db1: " + AgentRuns(source_.Sent<v1::ChangeMasterRequest>().at(0)));
}

TEST_F(StepRequestsTest, PlanGtidChangeMasterTextIsWhatTheAgentRunsForTheSentRequest) {
  GtidPair(/*strict=*/false);
  Snapshot();
  Step phase1 = Phase1Step(FactsOf(in_));
  ASSERT_TRUE(phase1.run(ctx_).ok());
  EXPECT_EQ(PlanLine(phase1, "CHANGE MASTER", {{"<snapshot gtid>", "0-1-100"}}),
            "db2: " + AgentRuns(target_.Sent<v1::ChangeMasterRequest>().at(0)));

  target_.status().mutable_master()->set_gtid("0-2-5");
  target_.status().mutable_master()->set_file("mysql-bin.000007");
  Step phase2 = Phase2Step(FactsOf(in_));
  ASSERT_TRUE(phase2.run(ctx_).ok());
  EXPECT_EQ(PlanLine(phase2, "CHANGE MASTER", {{"<target gtid_binlog_pos>", "0-2-5"}}),
            "db1: " + AgentRuns(source_.Sent<v1::ChangeMasterRequest>().at(0)));
}

}  // namespace
}  // namespace mmresync::coordinator
