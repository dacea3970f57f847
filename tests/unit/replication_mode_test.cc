#include "coordinator/replication_mode.h"

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

}  // namespace
}  // namespace mmresync::coordinator
