// The pair's replication mode survives a re-seed: a pair replicating by MariaDB GTID
// (MASTER_USE_GTID=slave_pos, one domain per node) ends in GTID mode on both nodes, with
// gtid_slave_pos at the right point (a writer on the source throughout: every
// acknowledged row on both nodes once, nothing re-applied or skipped), and a
// file/position pair stays file/position. Writes on both nodes after the recovery must
// replicate both ways.

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/fault_points.h"
#include "tests/harness/recovery_cluster.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kTimeout = absl::Seconds(120);

class ModeSuite : public ClusterSuite {
 protected:
  static std::string UsingGtid(int node) {
    auto s = pair().SlaveStatus(node);
    return s.ok() ? (*s)["Using_Gtid"] : std::string("<error>");
  }

  // Breaks the pair, re-seeds db2 from db1 with `method` while a writer inserts on db1,
  // then writes on both nodes. Returns the recover output.
  static std::string RecoverWithWritesOnBothSides(const std::string& method, int base) {
    const std::string table = absl::StrCat("crm.mode_", method, "_", base);
    EXPECT_OK(pair().Exec(
        kDb1, absl::StrCat("CREATE TABLE ", table, " (id INT PRIMARY KEY, origin INT)")));
    EXPECT_OK(pair().WaitInSync(kTimeout));
    EXPECT_OK(BreakWithDuplicateKey(kDb2, kDb1, base));
    CliResult r;
    int acked = 0;
    {
      AckedWriter writer(pair().node(kDb1).RootParams(), 1, 1000000, [&](int id) {
        return absl::StrCat("INSERT INTO ", table, " VALUES (", id, ", 1)");
      });
      r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", method});
      EXPECT_OK(writer.Stop());
      acked = writer.acked();
    }
    EXPECT_EQ(r.exit_code, 0) << r.output();
    EXPECT_GT(acked, 0);
    // After the recovery: writes on both nodes, ids apart from the writer's.
    for (int node : {kDb1, kDb2}) {
      for (int i = 0; i < 5; ++i) {
        EXPECT_OK(pair().Exec(node, absl::StrCat("INSERT INTO ", table, " VALUES (",
                                                 2000000 + node * 100 + i, ", ", node + 10, ")")));
      }
    }
    EXPECT_OK(pair().WaitInSync(kTimeout));
    for (int node : {kDb1, kDb2}) {
      EXPECT_EQ(Value(node, absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE id <= ", acked)),
                absl::StrCat(acked))
          << "node " << node;
      EXPECT_EQ(Value(node, absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE origin >= 10")),
                "10")
          << "node " << node;
    }
    EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
    return r.output();
  }
};

// "Slave_Pos" / "Current_Pos" and "slave_pos" / "current_pos".
struct GtidMode {
  const char* using_gtid;
  const char* use_gtid;
};
constexpr GtidMode kSlavePos{"Slave_Pos", "slave_pos"};
constexpr GtidMode kCurrentPos{"Current_Pos", "current_pos"};

// Both nodes replicate in `mode` (domain = server_id, so one domain per node): before a
// case, and after its recovery.
class GtidSuite : public ModeSuite {
 protected:
  static void StartGtidCluster(const GtidMode& mode, std::vector<std::string> cnf = {},
                               bool mariadb_service = false) {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.mariadb_service = mariadb_service;
    options.use_gtid = mode.use_gtid;
    options.extra_cnf_lines = std::move(cnf);
    StartCluster(options);
  }
  void ExpectMode(const GtidMode& mode) {
    ExpectHealthyOrRepair();        // an earlier failed case stays one failure
    if (HasFatalFailure()) return;  // no cluster: nothing to read
    ASSERT_EQ(UsingGtid(kDb1), mode.using_gtid);
    ASSERT_EQ(UsingGtid(kDb2), mode.using_gtid);
  }

  static void ExpectGtidModeKept(const GtidMode& mode, const std::string& output) {
    EXPECT_THAT(output, HasSubstr(absl::StrCat("MASTER_USE_GTID=", mode.use_gtid)));
    EXPECT_THAT(output, Not(HasSubstr("MASTER_USE_GTID=no")));
    EXPECT_EQ(UsingGtid(kDb1), mode.using_gtid);
    EXPECT_EQ(UsingGtid(kDb2), mode.using_gtid);
    // Each node's replica position holds its peer's domain (domain = server_id here).
    EXPECT_THAT(Value(kDb2, "SELECT @@gtid_slave_pos"), HasSubstr("1-1-"));
    EXPECT_THAT(Value(kDb1, "SELECT @@gtid_slave_pos"), HasSubstr("2-2-"));
  }
};

class GtidPairTest : public GtidSuite {
 protected:
  static void SetUpTestSuite() { StartGtidCluster(kSlavePos); }
  void SetUp() override {
    GtidSuite::SetUp();
    ExpectMode(kSlavePos);
  }
  static void ExpectGtidModeKept(const std::string& output) {
    GtidSuite::ExpectGtidModeKept(kSlavePos, output);
  }
};

TEST_F(GtidPairTest, StatusAndPlanShowTheGtidMode) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900001));
  CliResult status = Cli({"status"});
  EXPECT_THAT(status.output(), HasSubstr("GTID slave_pos (domain 1)"));
  EXPECT_THAT(status.output(), HasSubstr("GTID slave_pos (domain 2)"));
  CliResult plan = Cli({"plan", "--source", "db1", "--method", "logical"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output();
  EXPECT_THAT(plan.output(), HasSubstr("replication mode kept: db1 GTID slave_pos (domain 1), "
                                       "db2 GTID slave_pos (domain 2)"));
  EXPECT_THAT(plan.output(),
              HasSubstr("db2: STOP SLAVE; SET GLOBAL gtid_slave_pos = '<snapshot gtid>'"));
  EXPECT_THAT(plan.output(), HasSubstr("MASTER_USE_GTID=slave_pos"));
  // Repair for the next case.
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
}

TEST_F(GtidPairTest, LogicalRecoveryKeepsGtidModeOnBothNodes) {
  ExpectGtidModeKept(RecoverWithWritesOnBothSides("logical", 900101));
}

TEST_F(GtidPairTest, DumpRecoveryKeepsGtidModeOnBothNodes) {
  ExpectGtidModeKept(RecoverWithWritesOnBothSides("dump", 900201));
}

// The physical method's snapshot GTID comes from mariadb-backup's binlog info.
class GtidPhysicalTest : public GtidPairTest {
 protected:
  static void SetUpTestSuite() { StartGtidCluster(kSlavePos, {}, /*mariadb_service=*/true); }
};

TEST_F(GtidPhysicalTest, PhysicalRecoveryKeepsGtidModeOnBothNodes) {
  ExpectGtidModeKept(RecoverWithWritesOnBothSides("physical", 900401));
}

// gtid_strict_mode=ON on both nodes, one domain per node, a writer on the source: the
// source's gtid_slave_pos must not be behind its own binlog in its own domain (MariaDB
// refuses that with error 1947 in strict mode), and the source must not ask the target for
// a GTID the target has not binlogged yet.
class GtidStrictPairTest : public GtidSuite {
 protected:
  static void SetUpTestSuite() { StartGtidCluster(kSlavePos, {"gtid_strict_mode=ON"}); }
  void SetUp() override {
    GtidSuite::SetUp();
    ExpectMode(kSlavePos);
    if (HasFatalFailure()) return;
    ASSERT_EQ(Value(kDb1, "SELECT @@gtid_strict_mode"), "1");
    ASSERT_EQ(Value(kDb2, "SELECT @@gtid_strict_mode"), "1");
  }

  // Breaks the pair (key `base`) and recovers db2 from db1 (logical) with the coordinator
  // paused at fault point `point`; meanwhile writes row base+1 named `name` on db1 and
  // runs `then`. Returns the finished run.
  static absl::StatusOr<CliResult> RecoverWritingAt(const std::string& point, int base,
                                                    const std::string& name,
                                                    const std::function<absl::Status()>& then) {
    RETURN_IF_ERROR(BreakWithDuplicateKey(kDb2, kDb1, base));
    FaultPoints faults(absl::StrCat(cluster().base_dir(), "/faults-", point));
    ASSIGN_OR_RETURN(auto cli, StartCli({"recover", "--source", "db1", "--yes", "--force",
                                         "--method", "logical"},
                                        faults.Env(point + "=pause")));
    RETURN_IF_ERROR(faults.WaitHit(point, kTimeout));
    RETURN_IF_ERROR(pair().Exec(kDb1, absl::StrCat("INSERT INTO shop.customers (id, name) VALUES (",
                                                   base + 1, ", '", name, "')")));
    RETURN_IF_ERROR(then());
    RETURN_IF_ERROR(faults.Release(point));
    return cli->Wait(kTimeout);
  }
};

TEST_F(GtidStrictPairTest, LogicalRecoveryUnderAWriterInStrictMode) {
  ExpectGtidModeKept(kSlavePos, RecoverWithWritesOnBothSides("logical", 900501));
}

TEST_F(GtidStrictPairTest, DumpRecoveryUnderAWriterInStrictMode) {
  ExpectGtidModeKept(kSlavePos, RecoverWithWritesOnBothSides("dump", 900601));
}

// The physical method takes the same phase 2 (its snapshot GTID from mariadb-backup).
class GtidStrictPhysicalTest : public GtidStrictPairTest {
 protected:
  static void SetUpTestSuite() {
    StartGtidCluster(kSlavePos, {"gtid_strict_mode=ON"}, /*mariadb_service=*/true);
  }
};

TEST_F(GtidStrictPhysicalTest, PhysicalRecoveryUnderAWriterInStrictMode) {
  ExpectGtidModeKept(kSlavePos, RecoverWithWritesOnBothSides("physical", 900551));
}

// The same with log_slave_updates=OFF on both nodes: neither binlogs what it applies, so
// the re-seeded target's binary log never holds the source's domain, and the source asks
// it for a position in a domain it does not serve (phase 2 waited 2 minutes for the
// target to binlog it, then failed).
class GtidStrictPhysicalNoLogSlaveUpdatesTest : public GtidStrictPairTest {
 protected:
  static void SetUpTestSuite() {
    StartGtidCluster(kSlavePos, {"gtid_strict_mode=ON", "log_slave_updates=OFF"},
                     /*mariadb_service=*/true);
  }
};

TEST_F(GtidStrictPhysicalNoLogSlaveUpdatesTest, PhysicalRecoveryUnderAWriter) {
  ASSERT_EQ(Value(kDb2, "SELECT @@log_slave_updates"), "0");
  ExpectGtidModeKept(kSlavePos, RecoverWithWritesOnBothSides("physical", 900571));
}

TEST_F(GtidStrictPhysicalNoLogSlaveUpdatesTest, LogicalRecoveryUnderAWriter) {
  ASSERT_EQ(Value(kDb2, "SELECT @@log_slave_updates"), "0");
  ExpectGtidModeKept(kSlavePos, RecoverWithWritesOnBothSides("logical", 900581));
}

// No writer at all: the source's newest own GTID is the snapshot's, which the target has
// in its data but not in its binlog.
// MariaDB accepts the source at that GTID only while it is exactly the target's replica
// position, so the target's replica waits, stopped, until the source has connected; the
// health check right after writes on the source at once (this case once failed in CI:
// the source had connected, "IO Yes", but the target answered only after that write had
// reached it, with "missing the GTID", 1236).
TEST_F(GtidStrictPairTest, RecoveryWithoutWritesInStrictMode) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900701));
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  ExpectGtidModeKept(kSlavePos, r.output());
  EXPECT_THAT(r.output(), HasSubstr("replica stays stopped until db1 has connected at it"));
  ASSERT_OK(cluster_->CheckHealthy(kTimeout));
}

// The source writes once phase 2 raised its position to the snapshot's GTID, and the
// target applies and binlogs that write before the source connects: the target's binlog
// then holds the snapshot GTID's successor, not the GTID itself, and connecting there
// would break the source's replica for good. Phase 2 raises the position again instead.
TEST_F(GtidStrictPairTest, AWriteOnTheSourceRightAfterPhase2RaisedItsPositionIsNotAHole) {
  auto done = RecoverWritingAt("phase2_raised", 900711, "after the raise", [] {
    return WaitUntil(
        [] { return Value(kDb2, "SELECT COUNT(*) FROM shop.customers WHERE id = 900712") == "1"; },
        kTimeout, absl::Milliseconds(10), "db2 to apply the write");
  });
  ASSERT_OK(done.status());
  ASSERT_EQ(done->exit_code, 0) << done->Describe();
  EXPECT_THAT(done->output(), HasSubstr("raising it again")) << done->Describe();
  ExpectGtidModeKept(kSlavePos, done->output());
  ASSERT_OK(cluster_->CheckHealthy(kTimeout));
}

// The source writes while the target's replica waits, stopped, for the source's connect:
// the write reaches the target once it replicates again, and the pair runs both ways.
TEST_F(GtidStrictPairTest, AWriteOnTheSourceWhileTheTargetWaitsForItsConnectReplicates) {
  auto done = RecoverWritingAt("phase2_target_stopped", 900721, "while db2 waits",
                               [] { return absl::OkStatus(); });
  ASSERT_OK(done.status());
  ASSERT_EQ(done->exit_code, 0) << done->Describe();
  ExpectGtidModeKept(kSlavePos, done->output());
  ASSERT_OK(cluster_->CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 900722"), "while db2 waits");
}

// MASTER_USE_GTID=current_pos, two domains: kept through a recovery on real servers.
class GtidCurrentPosTest : public GtidSuite {
 protected:
  static void SetUpTestSuite() { StartGtidCluster(kCurrentPos); }
  void SetUp() override {
    GtidSuite::SetUp();
    ExpectMode(kCurrentPos);
  }
};

TEST_F(GtidCurrentPosTest, LogicalRecoveryKeepsCurrentPos) {
  ExpectGtidModeKept(kCurrentPos, RecoverWithWritesOnBothSides("logical", 900801));
}

TEST_F(GtidCurrentPosTest, DumpRecoveryKeepsCurrentPos) {
  ExpectGtidModeKept(kCurrentPos, RecoverWithWritesOnBothSides("dump", 900901));
}

class FilePositionPairTest : public ModeSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    StartCluster(options);
  }
};

TEST_F(FilePositionPairTest, LogicalRecoveryKeepsFilePosition) {
  ASSERT_EQ(UsingGtid(kDb1), "No");
  std::string output = RecoverWithWritesOnBothSides("logical", 900301);
  EXPECT_THAT(output, Not(HasSubstr("gtid_slave_pos")));
  EXPECT_EQ(UsingGtid(kDb1), "No");
  EXPECT_EQ(UsingGtid(kDb2), "No");
}

}  // namespace
}  // namespace mmresync::testing
