#include "coordinator/replication_mode.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

v1::NodeStatus Node(bool configured, const char* using_gtid, uint32_t domain, bool strict) {
  v1::NodeStatus s;
  s.mutable_replica()->set_configured(configured);
  s.mutable_replica()->set_using_gtid(using_gtid);
  s.set_gtid_domain_id(domain);
  s.set_gtid_strict_mode(strict);
  return s;
}

TEST(ReplicationModeTest, ReadsUsingGtidDomainAndStrictMode) {
  v1::ReplicationMode m = ModeOf(Node(true, "Slave_Pos", 2, true));
  EXPECT_EQ(m.use_gtid(), "slave_pos");
  EXPECT_EQ(m.gtid_domain_id(), 2u);
  EXPECT_TRUE(m.gtid_strict_mode());
  EXPECT_EQ(ModeOf(Node(true, "Current_Pos", 0, false)).use_gtid(), "current_pos");
  EXPECT_EQ(ModeOf(Node(true, "No", 0, false)).use_gtid(), "no");
  // 5.5-era servers have no Using_Gtid column: file/position.
  EXPECT_EQ(ModeOf(Node(true, "", 0, false)).use_gtid(), "no");
  EXPECT_EQ(ModeOf(Node(false, "", 0, false)).use_gtid(), "");
}

TEST(ReplicationModeTest, EachNodeKeepsItsOwnMode) {
  v1::ReplicationMode slave = ModeOf(Node(true, "Slave_Pos", 1, false));
  v1::ReplicationMode current = ModeOf(Node(true, "Current_Pos", 2, false));
  v1::ReplicationMode file = ModeOf(Node(true, "No", 2, false));
  EXPECT_EQ(UseGtidFor(slave, file), "slave_pos");
  EXPECT_EQ(UseGtidFor(current, slave), "current_pos");
  // A file/position node stays file/position even beside a GTID one.
  EXPECT_EQ(UseGtidFor(file, slave), "no");
}

TEST(ReplicationModeTest, AnUnconfiguredReplicaTakesItsPeersModeElseFilePosition) {
  v1::ReplicationMode none = ModeOf(Node(false, "", 1, false));
  v1::ReplicationMode slave = ModeOf(Node(true, "Slave_Pos", 2, false));
  EXPECT_EQ(UseGtidFor(none, slave), "slave_pos");
  EXPECT_EQ(UseGtidFor(none, none), "no");
  // Journals written before modes were recorded: file/position, as those runs did.
  EXPECT_EQ(UseGtidFor(v1::ReplicationMode(), v1::ReplicationMode()), "no");
}

TEST(ReplicationModeTest, Describes) {
  EXPECT_EQ(DescribeMode(ModeOf(Node(true, "Slave_Pos", 1, true))),
            "GTID slave_pos (domain 1, gtid_strict_mode)");
  EXPECT_EQ(DescribeMode(ModeOf(Node(true, "No", 0, false))), "file/position (domain 0)");
  EXPECT_EQ(DescribeMode(ModeOf(Node(false, "", 0, false))), "not replicating (domain 0)");
}

v1::NodeStatus Served(const char* binlog_state, const char* slave_pos) {
  v1::NodeStatus s;
  s.set_node("db2");
  s.set_gtid_binlog_state(binlog_state);
  s.set_gtid_slave_pos(slave_pos);
  return s;
}

// A GTID is served once the node's binlog holds that server's GTIDs in its domain up to
// it, or when it is exactly the node's replica position (the snapshot's GTID, held in its
// data but never binlogged); anything else is named.
TEST(GtidsNotYetServedTest, BinlogUpToItOrExactlyTheReplicaPosition) {
  const std::vector<Gtid> want = {{1, 1, 600}, {2, 2, 50}};
  auto missing = GtidsNotYetServed(Served("1-1-520,2-2-50", "1-1-520"), want);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_THAT(*missing, ::testing::ElementsAre("1-1-600"));
  missing = GtidsNotYetServed(Served("1-1-601,2-2-50", "1-1-601"), want);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  // Another server's GTIDs in the domain do not serve it.
  missing = GtidsNotYetServed(Served("1-2-900,2-2-50", ""), want);
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ::testing::ElementsAre("1-1-600"));
  // The snapshot's GTID: the replica position, exactly (not one past it).
  missing = GtidsNotYetServed(Served("1-1-100,2-2-50", "1-1-600"), want);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  missing = GtidsNotYetServed(Served("1-1-100,2-2-50", "1-1-601"), want);
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ::testing::ElementsAre("1-1-600"));
}

// A node that does not log what it applies never binlogs its peer's domain: a replica
// asking it for that domain starts on an empty domain (MariaDB's own rule), so there is
// nothing to wait for. It still must have binlogged its own domain, and a domain it has
// binlogged something in (before log_slave_updates was turned off) is checked as usual.
TEST(GtidsNotYetServedTest, APeersDomainNeverBinloggedWithoutLogSlaveUpdates) {
  const std::vector<Gtid> want = {{1, 1, 980}, {2, 2, 50}};
  v1::NodeStatus node = Served("2-2-50", "1-1-385");
  node.set_gtid_domain_id(2);
  node.set_log_slave_updates(false);
  auto missing = GtidsNotYetServed(node, want);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_TRUE(missing->empty());
  // With log_slave_updates ON it will binlog domain 1 as it applies it: wait for that.
  node.set_log_slave_updates(true);
  missing = GtidsNotYetServed(node, want);
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ::testing::ElementsAre("1-1-980"));
  // Its own domain is never excused.
  node.set_log_slave_updates(false);
  missing = GtidsNotYetServed(node, {{2, 2, 51}});
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ::testing::ElementsAre("2-2-51"));
  // Nor a domain its binlog already holds.
  node.set_gtid_binlog_state("1-1-100,2-2-50");
  missing = GtidsNotYetServed(node, want);
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(*missing, ::testing::ElementsAre("1-1-980"));
}

TEST(GtidsNotYetServedTest, UnreadableStateIsAnErrorNamingTheNode) {
  auto missing = GtidsNotYetServed(Served("1-1-x", ""), {{1, 1, 1}});
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_THAT(
      std::string(missing.status().message()),
      ::testing::AllOf(::testing::HasSubstr("db2"), ::testing::HasSubstr("gtid_binlog_state")));
}

std::vector<Gtid> List(const char* text) { return ParseGtidList(text).value(); }

// The source's own GTIDs at or before the snapshot's in their domain are in the target's
// data only; later ones, and other servers' (the target's own, from its binlog), are not.
TEST(GtidsInDataOnlyTest, TheSourcesOwnGtidsUpToTheSnapshot) {
  EXPECT_EQ(GtidsInDataOnly(List("1-1-100,2-2-5"), List("1-1-100,2-2-5"), 1), List("1-1-100"));
  EXPECT_EQ(GtidsInDataOnly(List("1-1-101,2-2-5"), List("1-1-100,2-2-5"), 1), List(""));
  EXPECT_EQ(GtidsInDataOnly(List("1-1-100,2-2-5"), List("1-1-100,2-2-5"), 3), List(""));
  // Two domains of the source's, one written since the snapshot and one not.
  EXPECT_EQ(GtidsInDataOnly(List("1-1-100,3-1-7"), List("1-1-90,3-1-7"), 1), List("3-1-7"));
  // A domain the snapshot did not have: written since, so not in the data only.
  EXPECT_EQ(GtidsInDataOnly(List("4-1-1"), List("1-1-90"), 1), List(""));
  // No snapshot GTID recorded (file/position snapshot): nothing to guard.
  EXPECT_EQ(GtidsInDataOnly(List("1-1-100"), List(""), 1), List(""));
}

}  // namespace
}  // namespace mmresync::coordinator
