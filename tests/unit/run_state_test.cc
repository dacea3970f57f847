// What status and recover say about runs: in progress, unfinished, and the refusal of a
// new run over an unfinished one.

#include "coordinator/run_state.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

PairView View() {
  PairView v;
  for (int i = 0; i < 2; ++i) {
    v.nodes[i].entry.name = i == 0 ? "db1" : "db2";
    v.nodes[i].entry.mariadb_host = i == 0 ? "10.0.0.1" : "10.0.0.2";
    v1::NodeStatus s;
    s.set_node(v.nodes[i].entry.name);
    s.mutable_keepalived()->set_managed(true);
    s.mutable_keepalived()->set_running(i == 0);
    s.set_read_only(i == 1);
    s.mutable_replica()->set_configured(true);
    s.mutable_replica()->set_master_host(i == 0 ? "10.0.0.2" : "10.0.0.1");
    s.mutable_replica()->set_master_port(3306);
    s.mutable_replica()->set_io_running("No");
    s.mutable_replica()->set_sql_running("No");
    v.nodes[i].status = s;
  }
  return v;
}

RunRecord Unfinished() {
  RunRecord r;
  r.run_id = "20261130T010203-abcdef";
  r.source = "db1";
  r.target = "db2";
  r.done_steps = {"fence-target", "stop-replication"};
  r.current_step = "stream-import";
  r.started = absl::Now() - absl::Minutes(5);
  v1::OriginalSettings o;
  o.set_target_read_only(false);
  o.set_target_keepalived_managed(true);
  o.set_target_keepalived_running(true);
  r.original = o;
  return r;
}

TEST(RunStateTest, AnUnfinishedRunInTheJournalIsInterrupted) {
  RunActivity a = FindRunActivity(Unfinished(), View(), absl::Now());
  EXPECT_EQ(a.kind, RunActivity::Kind::kInterrupted);
  EXPECT_EQ(a.run_id, "20261130T010203-abcdef");
  EXPECT_EQ(a.step, "stream-import");
  EXPECT_GE(a.running_for, absl::Minutes(4));
}

TEST(RunStateTest, NoRunOrAFinishedOrAbandonedOneIsNothing) {
  EXPECT_EQ(FindRunActivity(std::nullopt, View(), absl::Now()).kind, RunActivity::Kind::kNone);
  RunRecord done = Unfinished();
  done.finished = true;
  EXPECT_EQ(FindRunActivity(done, View(), absl::Now()).kind, RunActivity::Kind::kNone);
  RunRecord abandoned = Unfinished();
  abandoned.abandoned = true;
  EXPECT_EQ(FindRunActivity(abandoned, View(), absl::Now()).kind, RunActivity::Kind::kNone);
}

TEST(RunStateTest, ALiveLeaseIsARunInProgressEvenUnknownToThisJournal) {
  PairView v = View();
  v.nodes[1].status->set_lease_holder("other-run");
  v.nodes[1].status->set_lease_expires_in_ms(42000);
  v.nodes[1].status->mutable_lease_instance()->set_id("c9");
  v.nodes[1].status->mutable_lease_instance()->set_host("ops2");
  v.nodes[1].status->mutable_lease_instance()->set_pid(77);
  RunActivity a = FindRunActivity(std::nullopt, v, absl::Now());
  EXPECT_EQ(a.kind, RunActivity::Kind::kRunning);
  EXPECT_EQ(a.run_id, "other-run");
  std::string text = RunActivityText(a, "");
  EXPECT_THAT(text, HasSubstr("IN PROGRESS"));
  EXPECT_THAT(text, HasSubstr("coordinator c9"));
  EXPECT_THAT(text, HasSubstr("@ops2, pid 77"));
  EXPECT_THAT(text, HasSubstr("lease expires in 42s"));
  EXPECT_THAT(RunActivityJson(a, ""), HasSubstr("\"state\":\"running\""));
  // Whose holder is provably gone: interrupted, when the journal knows the run.
  RunRecord r = Unfinished();
  r.run_id = "other-run";
  auto gone = [](const v1::CoordinatorInstance&) { return true; };
  EXPECT_EQ(FindRunActivity(r, v, absl::Now(), gone).kind, RunActivity::Kind::kInterrupted);
  EXPECT_EQ(FindRunActivity(std::nullopt, v, absl::Now(), gone).kind, RunActivity::Kind::kRunning);
}

TEST(RunStateTest, TheRefusalNamesTheRunItsStepEachNodeAndTheCommands) {
  RunActivity a = FindRunActivity(Unfinished(), View(), absl::Now());
  std::string text = UnfinishedRunRefusal(a, View(), "/etc/x/cluster.toml");
  EXPECT_THAT(text, HasSubstr("refused, nothing was changed: run 20261130T010203-abcdef"));
  EXPECT_THAT(text, HasSubstr("at step stream-import"));
  EXPECT_THAT(text, HasSubstr("db1: read_only=OFF, keepalived running, replicates from db2"));
  EXPECT_THAT(text, HasSubstr("db2: read_only=ON, keepalived stopped"));
  EXPECT_THAT(text, HasSubstr("before the run: db2 read_only=OFF, keepalived running"));
  EXPECT_THAT(text, HasSubstr("mmresync recover --resume --config /etc/x/cluster.toml"));
  EXPECT_THAT(text, HasSubstr("mmresync recover --abandon 20261130T010203-abcdef --config "
                              "/etc/x/cluster.toml"));
}

TEST(RunStateTest, CommandsQuoteAConfigPathThatNeedsIt) {
  EXPECT_EQ(ResumeCommand(""), "mmresync recover --resume");
  EXPECT_EQ(ResumeCommand("/a b/c.toml"), "mmresync recover --resume --config '/a b/c.toml'");
}

TEST(RunStateTest, StatusTextAndJsonOfAnInterruptedRun) {
  RunRecord r = Unfinished();
  r.failed = true;
  r.interrupted = true;
  RunActivity a = FindRunActivity(r, View(), absl::Now());
  std::string text = RunActivityText(a, "");
  EXPECT_THAT(text, HasSubstr("UNFINISHED (interrupted by the operator at step stream-import"));
  EXPECT_THAT(text, HasSubstr("resume it:  mmresync recover --resume"));
  std::string json = RunActivityJson(a, "");
  EXPECT_THAT(json, HasSubstr("\"state\":\"interrupted\""));
  EXPECT_THAT(json, HasSubstr("\"resume_command\":\"mmresync recover --resume\""));
  EXPECT_EQ(RunActivityJson(RunActivity{}, ""), "null");
}

TEST(RunStateTest, OriginalSettingsAreReadFromTheTargetBeforeTheRun) {
  v1::OriginalSettings o = ReadOriginalSettings(View(), 0, 1);
  EXPECT_TRUE(o.target_read_only());
  EXPECT_FALSE(o.target_keepalived_running());
  EXPECT_EQ(o.target_replicates_from(), "10.0.0.1:3306");
  EXPECT_FALSE(o.source_read_only());
}

// The first journal record holds each node's replication mode: what phases 1 and 2 use.
TEST(RunStateTest, OriginalSettingsHoldEachNodesReplicationMode) {
  PairView v = View();
  v.nodes[0].status->mutable_replica()->set_using_gtid("Current_Pos");
  v.nodes[0].status->set_gtid_domain_id(1);
  v.nodes[1].status->mutable_replica()->set_using_gtid("Slave_Pos");
  v.nodes[1].status->set_gtid_domain_id(2);
  v.nodes[1].status->set_gtid_strict_mode(true);
  v1::OriginalSettings o = ReadOriginalSettings(v, 0, 1);
  EXPECT_EQ(o.source_mode().use_gtid(), "current_pos");
  EXPECT_EQ(o.source_mode().gtid_domain_id(), 1u);
  EXPECT_EQ(o.target_mode().use_gtid(), "slave_pos");
  EXPECT_EQ(o.target_mode().gtid_domain_id(), 2u);
  EXPECT_TRUE(o.target_mode().gtid_strict_mode());
}

}  // namespace
}  // namespace mmresync::coordinator
