#include "coordinator/diagnosis.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
using ::testing::SizeIs;
using ::testing::StartsWith;

using testing_util::Entry;

v1::NodeStatus HealthyStatus(const std::string& name, uint32_t server_id,
                             const std::string& peer_host, bool vip_local) {
  v1::NodeStatus s;
  s.set_node(name);
  s.set_server_id(server_id);
  s.set_version("10.11.6-MariaDB");
  s.set_log_bin(true);
  s.set_read_only(!vip_local);
  s.mutable_replica()->set_configured(true);
  s.mutable_replica()->set_master_host(peer_host);
  s.mutable_replica()->set_master_port(3306);
  s.mutable_replica()->set_io_running("Yes");
  s.mutable_replica()->set_sql_running("Yes");
  s.set_vip_configured(true);
  s.set_vip("10.0.0.100");
  s.set_vip_local(vip_local);
  s.set_datadir_free_bytes(100ull << 30);
  s.set_state_dir_free_bytes(100ull << 30);
  auto* schema = s.add_schemas();
  schema->set_name("app");
  schema->set_bytes(1 << 20);
  schema->set_tables(3);
  return s;
}

// db1 (10.0.0.1) holds the VIP; both replicate from each other.
PairView Healthy() {
  PairView v;
  v.nodes[0].entry = Entry("db1", "10.0.0.1");
  v.nodes[1].entry = Entry("db2", "10.0.0.2");
  v.nodes[0].status = HealthyStatus("db1", 1, "10.0.0.2", true);
  v.nodes[1].status = HealthyStatus("db2", 2, "10.0.0.1", false);
  return v;
}

v1::NodeStatus& St(PairView& v, int i) { return *v.nodes[i].status; }

// ---------- Diagnose ----------

TEST(DiagnoseTest, Healthy) {
  PairView v = Healthy();
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kHealthy);
  EXPECT_THAT(d.problems, IsEmpty());
  EXPECT_THAT(d.summary, StartsWith("healthy"));
  EXPECT_TRUE(ReplicatesFromPeer(v, 0));
  EXPECT_TRUE(ReplicatesFromPeer(v, 1));
}

TEST(DiagnoseTest, NotAReplica) {
  PairView v = Healthy();
  St(v, 1).clear_replica();
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kDegraded);
  EXPECT_THAT(d.problems, ElementsAre("db2: not a replica of db1"));
  EXPECT_THAT(d.summary, StartsWith("degraded: db2: not a replica of db1"));
  EXPECT_FALSE(ReplicatesFromPeer(v, 1));
}

TEST(DiagnoseTest, ReplicatesFromSomewhereElse) {
  PairView v = Healthy();
  St(v, 0).mutable_replica()->set_master_host("10.0.0.9");
  St(v, 1).mutable_replica()->set_master_port(3307);
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kDegraded);
  ASSERT_THAT(d.problems, SizeIs(2));
  EXPECT_THAT(d.problems[0],
              AllOf(StartsWith("db1: replicates from 10.0.0.9:3306"), HasSubstr("not from db2")));
  EXPECT_THAT(d.problems[1], StartsWith("db2: replicates from 10.0.0.1:3307"));
  EXPECT_THAT(d.summary, HasSubstr("(+1 more)"));
  EXPECT_FALSE(ReplicatesFromPeer(v, 0));
  EXPECT_FALSE(ReplicatesFromPeer(v, 1));
}

TEST(DiagnoseTest, SqlThreadStoppedWithError) {
  PairView v = Healthy();
  auto* r = St(v, 1).mutable_replica();
  r->set_sql_running("No");
  r->set_last_sql_errno(1062);
  r->set_last_sql_error("Duplicate entry '5' for key 'PRIMARY'");
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kDegraded);
  EXPECT_THAT(d.problems,
              ElementsAre("db2: SQL thread No: error 1062: Duplicate entry '5' for key 'PRIMARY'"));
  EXPECT_FALSE(ReplicatesFromPeer(v, 1));
}

TEST(DiagnoseTest, IoThreadConnectingAndStopped) {
  PairView v = Healthy();
  auto* r = St(v, 0).mutable_replica();
  r->set_io_running("Connecting");
  r->set_last_io_errno(2003);
  r->set_last_io_error("Can't connect to server on '10.0.0.2'");
  St(v, 1).mutable_replica()->set_io_running("");
  St(v, 1).mutable_replica()->set_sql_running("");
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kDegraded);
  EXPECT_THAT(d.problems,
              ElementsAre("db1: IO thread Connecting: error 2003: Can't connect to server on "
                          "'10.0.0.2'",
                          "db2: SQL thread stopped", "db2: IO thread stopped"));
}

TEST(DiagnoseTest, BinlogOff) {
  PairView v = Healthy();
  St(v, 1).set_log_bin(false);
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kDegraded);
  EXPECT_THAT(d.problems, ElementsAre("db2: binary log is off"));
}

TEST(DiagnoseTest, VipOnBothOrNeither) {
  PairView both = Healthy();
  St(both, 1).set_vip_local(true);
  EXPECT_THAT(Diagnose(both).problems, ElementsAre("VIP is on both nodes"));
  EXPECT_EQ(Diagnose(both).health, Health::kDegraded);

  PairView neither = Healthy();
  St(neither, 0).set_vip_local(false);
  EXPECT_THAT(Diagnose(neither).problems, ElementsAre("VIP is on neither node"));

  PairView none = Healthy();
  for (int i = 0; i < 2; ++i) {
    St(none, i).set_vip_configured(false);
    St(none, i).set_vip_local(false);
  }
  EXPECT_EQ(Diagnose(none).health, Health::kHealthy);
}

TEST(DiagnoseTest, UnreachableAgentIsAnError) {
  PairView v = Healthy();
  v.nodes[1].status = absl::UnavailableError("connect to 10.0.0.2:7443: connection refused");
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kError);
  EXPECT_THAT(d.problems, ElementsAre("db2: agent unreachable: connect to 10.0.0.2:7443: "
                                      "connection refused"));
  EXPECT_THAT(d.summary, StartsWith("error: db2: agent unreachable"));
  EXPECT_FALSE(ReplicatesFromPeer(v, 1));
}

TEST(DiagnoseTest, UnreadableDatabaseIsAnError) {
  PairView v = Healthy();
  St(v, 0).set_db_error("ERROR 2002: Can't connect to local server");
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kError);
  EXPECT_THAT(d.problems, Contains(HasSubstr("db1: database unreadable: ERROR 2002")));
  // No VIP verdict while a node cannot be read.
  for (const auto& p : d.problems) EXPECT_THAT(p, ::testing::Not(HasSubstr("VIP")));
}

TEST(DiagnoseTest, BothUnreachable) {
  PairView v = Healthy();
  v.nodes[0].status = absl::DeadlineExceededError("timeout");
  v.nodes[1].status = absl::UnavailableError("refused");
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kError);
  EXPECT_THAT(d.problems, SizeIs(2));
}

// ---------- ChooseRoles ----------

TEST(ChooseRolesTest, VipHolderIsTheSource) {
  PairView v = Healthy();
  auto roles = ChooseRoles(v, std::nullopt);
  ASSERT_TRUE(roles.ok()) << roles.status();
  EXPECT_EQ(roles->source, 0);
  EXPECT_EQ(roles->target, 1);
  EXPECT_THAT(roles->reason, HasSubstr("VIP"));

  St(v, 0).set_vip_local(false);
  St(v, 1).set_vip_local(true);
  roles = ChooseRoles(v, std::nullopt);
  ASSERT_TRUE(roles.ok()) << roles.status();
  EXPECT_EQ(roles->source, 1);
  EXPECT_EQ(roles->target, 0);
}

TEST(ChooseRolesTest, ExplicitSourceWins) {
  PairView v = Healthy();  // VIP on db1
  auto roles = ChooseRoles(v, std::string("db2"));
  ASSERT_TRUE(roles.ok()) << roles.status();
  EXPECT_EQ(roles->source, 1);
  EXPECT_EQ(roles->target, 0);
  EXPECT_THAT(roles->reason, HasSubstr("--source"));

  roles = ChooseRoles(v, std::string("db1"));
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles->source, 0);
}

TEST(ChooseRolesTest, UnknownSourceIsInvalidArgument) {
  PairView v = Healthy();
  auto roles = ChooseRoles(v, std::string("db3"));
  ASSERT_FALSE(roles.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(roles.status())) << roles.status();
  EXPECT_THAT(std::string(roles.status().message()),
              AllOf(HasSubstr("db3"), HasSubstr("db1"), HasSubstr("db2")));
}

TEST(ChooseRolesTest, VipOnBothOrNeitherRefused) {
  PairView both = Healthy();
  St(both, 1).set_vip_local(true);
  auto roles = ChooseRoles(both, std::nullopt);
  ASSERT_FALSE(roles.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(roles.status()));
  EXPECT_THAT(std::string(roles.status().message()),
              AllOf(HasSubstr("both nodes"), HasSubstr("--source")));

  PairView neither = Healthy();
  St(neither, 0).set_vip_local(false);
  roles = ChooseRoles(neither, std::nullopt);
  ASSERT_FALSE(roles.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(roles.status()));
  EXPECT_THAT(std::string(roles.status().message()), HasSubstr("neither node"));

  // --source resolves both.
  EXPECT_TRUE(ChooseRoles(both, std::string("db2")).ok());
  EXPECT_TRUE(ChooseRoles(neither, std::string("db2")).ok());
}

TEST(ChooseRolesTest, NoVipConfiguredNeedsSource) {
  PairView v = Healthy();
  St(v, 0).set_vip_configured(false);
  St(v, 1).set_vip_configured(false);
  auto roles = ChooseRoles(v, std::nullopt);
  ASSERT_FALSE(roles.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(roles.status()));
  EXPECT_THAT(std::string(roles.status().message()), HasSubstr("--source"));
  EXPECT_TRUE(ChooseRoles(v, std::string("db1")).ok());
}

TEST(ChooseRolesTest, UnreachableNodeRefused) {
  PairView v = Healthy();
  v.nodes[1].status = absl::UnavailableError("refused");
  auto roles = ChooseRoles(v, std::nullopt);
  ASSERT_FALSE(roles.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(roles.status()));
  EXPECT_THAT(std::string(roles.status().message()),
              AllOf(HasSubstr("db2"), HasSubstr("unreachable")));
}

// ---------- ErrantTransactions ----------

TEST(ErrantTransactionsTest, NoneWhenTheTargetWroteNothingOfItsOwn) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100");
  St(v, 1).set_gtid_binlog_state("0-1-100");
  EXPECT_THAT(ErrantTransactions(St(v, 0), St(v, 1)), IsEmpty());
  St(v, 1).set_gtid_binlog_state("");
  EXPECT_THAT(ErrantTransactions(St(v, 0), St(v, 1)), IsEmpty());
}

TEST(ErrantTransactionsTest, TargetOnlySequencesAreNamed) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100");
  St(v, 1).set_gtid_binlog_state("0-1-100,0-2-5");
  std::vector<std::string> errant = ErrantTransactions(St(v, 0), St(v, 1));
  ASSERT_THAT(errant, SizeIs(1));
  EXPECT_THAT(errant[0], AllOf(HasSubstr("up to GTID 0-2-5"), HasSubstr("only up to none"),
                               HasSubstr("db2"), HasSubstr("db1")));
}

TEST(ErrantTransactionsTest, SourceAheadInItsOwnBinlog) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100,0-2-7");  // log_slave_updates
  St(v, 1).set_gtid_binlog_state("0-1-100,0-2-5");
  EXPECT_THAT(ErrantTransactions(St(v, 0), St(v, 1)), IsEmpty());
}

TEST(ErrantTransactionsTest, SourceCaughtUpViaGtidSlavePos) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100");  // log_slave_updates off
  St(v, 0).set_gtid_slave_pos("0-2-5");
  St(v, 1).set_gtid_binlog_state("0-1-100,0-2-5");
  EXPECT_THAT(ErrantTransactions(St(v, 0), St(v, 1)), IsEmpty());

  St(v, 0).set_gtid_slave_pos("0-2-3");
  std::vector<std::string> errant = ErrantTransactions(St(v, 0), St(v, 1));
  ASSERT_THAT(errant, SizeIs(1));
  EXPECT_THAT(errant[0], AllOf(HasSubstr("up to GTID 0-2-5"), HasSubstr("only up to 0-2-3")));
}

TEST(ErrantTransactionsTest, PerDomain) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100,1-2-9");
  St(v, 1).set_gtid_binlog_state("0-1-100,0-2-3,1-2-9,2-2-1");
  std::vector<std::string> errant = ErrantTransactions(St(v, 0), St(v, 1));
  ASSERT_THAT(errant, SizeIs(2));
  EXPECT_THAT(errant[0], HasSubstr("up to GTID 0-2-3"));
  EXPECT_THAT(errant[1], HasSubstr("up to GTID 2-2-1"));
}

TEST(ErrantTransactionsTest, GarbageEntriesIgnored) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100");
  St(v, 1).set_gtid_binlog_state("0-1-100, junk ,0-2-x,,");
  EXPECT_THAT(ErrantTransactions(St(v, 0), St(v, 1)), IsEmpty());
}

// ---------- PreflightRefusals ----------

Roles Db1Source() { return Roles{0, 1, "test"}; }

TEST(PreflightRefusalsTest, HealthyPairHasNone) {
  PairView v = Healthy();
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}), IsEmpty());
}

TEST(PreflightRefusalsTest, UnreachableOrUnreadable) {
  PairView v = Healthy();
  v.nodes[1].status = absl::UnavailableError("refused");
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}),
              ElementsAre("db2: agent unreachable: refused"));
  PairView w = Healthy();
  St(w, 0).set_db_error("ERROR 1045");
  EXPECT_THAT(PreflightRefusals(w, Db1Source(), {}),
              ElementsAre("db1: database unreadable: ERROR 1045"));
}

TEST(PreflightRefusalsTest, EqualServerId) {
  PairView v = Healthy();
  St(v, 1).set_server_id(1);
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}),
              ElementsAre(HasSubstr("both nodes have server_id 1")));
}

TEST(PreflightRefusalsTest, BinlogOffOnEitherNode) {
  PairView v = Healthy();
  St(v, 0).set_log_bin(false);
  St(v, 1).set_log_bin(false);
  EXPECT_THAT(
      PreflightRefusals(v, Db1Source(), {}),
      ElementsAre(HasSubstr("db1: binary log is off"), HasSubstr("db2: binary log is off")));
}

TEST(PreflightRefusalsTest, TargetHoldingTheVip) {
  PairView v = Healthy();
  // --source db2 while db1 holds the VIP: db1 would be the target.
  Roles roles{1, 0, "--source"};
  EXPECT_THAT(PreflightRefusals(v, roles, {}),
              ElementsAre(HasSubstr("the target db1 holds the VIP")));
  PreflightOptions resume;
  resume.resume = true;
  EXPECT_THAT(PreflightRefusals(v, roles, resume), Contains(HasSubstr("holds the VIP")));
}

TEST(PreflightRefusalsTest, LeaseHeldUnlessResuming) {
  PairView v = Healthy();
  St(v, 0).set_lease_holder("run-old");
  St(v, 1).set_lease_holder("run-old");
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}),
              ElementsAre("db1: leased by run run-old", "db2: leased by run run-old"));
  PreflightOptions resume;
  resume.resume = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), resume), IsEmpty());
}

TEST(PreflightRefusalsTest, TargetDiskTooSmall) {
  PairView v = Healthy();
  St(v, 0).mutable_schemas(0)->set_bytes(1000);  // source data
  St(v, 1).mutable_schemas(0)->set_bytes(100);   // target data (freed by the drop)
  St(v, 1).set_datadir_free_bytes(1099);         // 1099 + 100 < 1200 needed
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}), ElementsAre(HasSubstr("db2: datadir has")));
  St(v, 1).set_datadir_free_bytes(1100);  // exactly enough
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}), IsEmpty());
  St(v, 1).set_datadir_free_bytes(0);  // unknown: not refused
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}), IsEmpty());
}

TEST(PreflightRefusalsTest, AParkedBackupKeepsTheOldDataInTheDatadir) {
  PairView v = Healthy();
  St(v, 0).mutable_schemas(0)->set_bytes(1000);  // source data
  St(v, 1).mutable_schemas(0)->set_bytes(100);   // target data, parked: not freed
  St(v, 1).set_datadir_free_bytes(1100);         // enough only if the old data were dropped
  PreflightOptions park;
  park.park_backup = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), park),
              ElementsAre(AllOf(HasSubstr("db2: datadir has"), HasSubstr("parked backup"))));
  St(v, 1).set_datadir_free_bytes(1200);
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), park), IsEmpty());
  St(v, 1).set_datadir_free_bytes(1100);
  park.skip_backup = true;  // nothing parked: the drop frees it again
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), park), IsEmpty());
}

TEST(PreflightRefusalsTest, StateDirTooSmallForTheBackup) {
  PairView v = Healthy();
  St(v, 1).mutable_schemas(0)->set_bytes(5000);
  St(v, 1).set_state_dir_free_bytes(4999);
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}), ElementsAre(HasSubstr("db2: state_dir has")));
  PreflightOptions skip;
  skip.skip_backup = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), skip), IsEmpty());
}

TEST(PreflightRefusalsTest, ErrantTransactionsRefusedUnlessDiscardedAfterBackup) {
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100");
  St(v, 1).set_gtid_binlog_state("0-1-100,0-2-5");

  std::vector<std::string> refusals = PreflightRefusals(v, Db1Source(), {});
  ASSERT_THAT(refusals, SizeIs(1));
  EXPECT_THAT(refusals[0],
              AllOf(HasSubstr("up to GTID 0-2-5"), HasSubstr("--discard-target-writes")));

  PreflightOptions discard;
  discard.discard_target_writes = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), discard), IsEmpty());

  // Discarding them without a backup would lose them for good.
  PreflightOptions discard_no_backup = discard;
  discard_no_backup.skip_backup = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), discard_no_backup), SizeIs(1));

  PreflightOptions skip_only;
  skip_only.skip_backup = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), skip_only), SizeIs(1));
}

TEST(PreflightRefusalsTest, ResumeSkipsErrantAndLeaseChecks) {
  // On resume the target is partly imported by us and still holds our lease.
  PairView v = Healthy();
  St(v, 0).set_gtid_binlog_state("0-1-100");
  St(v, 1).set_gtid_binlog_state("0-1-100,0-2-5");
  St(v, 0).set_lease_holder("run-1");
  St(v, 1).set_lease_holder("run-1");
  PreflightOptions resume;
  resume.resume = true;
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), resume), IsEmpty());
  // Other refusals still apply on resume.
  St(v, 1).set_server_id(1);
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), resume), SizeIs(1));
}

// ---------- which address is the VIP ----------

TEST(VipConfigProblemsTest, AgreeingConfigsHaveNone) {
  PairView v = Healthy();
  EXPECT_THAT(VipConfigProblems(v), IsEmpty());
  v.cluster_vip = "10.0.0.100";
  EXPECT_THAT(VipConfigProblems(v), IsEmpty());
}

TEST(VipConfigProblemsTest, AgentsDisagree) {
  PairView v = Healthy();
  St(v, 1).set_vip("10.0.0.101");
  EXPECT_THAT(VipConfigProblems(v),
              ElementsAre("VIP configured differently on the agents: db1's agent.toml "
                          "[keepalived] vip is \"10.0.0.100\", db2's agent.toml [keepalived] vip "
                          "is \"10.0.0.101\"; set the same address on both"));
  St(v, 1).set_vip("");
  St(v, 1).set_vip_configured(false);
  EXPECT_THAT(VipConfigProblems(v), ElementsAre(HasSubstr("db2's agent.toml [keepalived] vip is "
                                                          "not set")));
}

TEST(VipConfigProblemsTest, ClusterFileDisagrees) {
  PairView v = Healthy();
  v.cluster_vip = "10.0.0.200";
  EXPECT_THAT(VipConfigProblems(v),
              ElementsAre("cluster.toml [cluster] vip is \"10.0.0.200\" but db1's agent.toml "
                          "[keepalived] vip is \"10.0.0.100\"",
                          HasSubstr("but db2's agent.toml")));
}

TEST(VipConfigProblemsTest, RefusedByRolesPreflightAndReportedByStatus) {
  PairView v = Healthy();
  v.cluster_vip = "10.0.0.200";
  auto roles = ChooseRoles(v, std::nullopt);
  ASSERT_FALSE(roles.ok());
  EXPECT_EQ(roles.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(roles.status().message(), HasSubstr("cannot tell which node holds the VIP"));
  EXPECT_THAT(PreflightRefusals(v, Db1Source(), {}), Contains(HasSubstr("[cluster] vip")));
  Diagnosis d = Diagnose(v);
  EXPECT_EQ(d.health, Health::kDegraded);
  EXPECT_THAT(d.problems, Contains(HasSubstr("[cluster] vip")));
}

TEST(VipConfigProblemsTest, SameAddressWrittenDifferently) {
  PairView v = Healthy();
  St(v, 0).set_vip("fd00::100");
  St(v, 1).set_vip("FD00:0:0::100");
  v.cluster_vip = "fd00:0::100";
  EXPECT_THAT(VipConfigProblems(v), IsEmpty());
}

TEST(EventsRunningNowhereTest, OnlyThoseDisabledOnBothNodes) {
  PairView v = Healthy();
  EXPECT_THAT(EventsRunningNowhere(v), IsEmpty());
  St(v, 0).add_replica_disabled_events("shop.b");
  St(v, 0).add_replica_disabled_events("crm.a");
  St(v, 1).add_replica_disabled_events("crm.a");
  St(v, 1).add_replica_disabled_events("shop.b");
  St(v, 1).add_replica_disabled_events("shop.c");
  EXPECT_THAT(EventsRunningNowhere(v), ElementsAre("crm.a", "shop.b"));
  EXPECT_EQ(EventsRunningNowhereText({"crm.a"}),
            "1 event(s) are DISABLE ON SLAVE on both nodes and run on neither: crm.a. On the "
            "node that should run each: ALTER EVENT <schema>.<event> ENABLE");
  v.nodes[1].status = absl::UnavailableError("down");
  EXPECT_THAT(EventsRunningNowhere(v), IsEmpty());
}

// ---------- helpers ----------

TEST(HumanBytesTest, Units) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(5ull << 30), "5.0 GiB");
  EXPECT_EQ(HumanBytes(3ull << 40), "3.0 TiB");
  EXPECT_EQ(HumanBytes(2048ull << 40), "2048.0 TiB");
}

TEST(UserDataBytesTest, SumsSchemas) {
  v1::NodeStatus s;
  EXPECT_EQ(UserDataBytes(s), 0u);
  s.add_schemas()->set_bytes(10);
  s.add_schemas()->set_bytes(32);
  EXPECT_EQ(UserDataBytes(s), 42u);
}

}  // namespace
}  // namespace mmresync::coordinator
