// A pair whose replication ignores a schema (replicate_ignore_db=localdb on both nodes,
// the shape of the Cloudpods pair): each node's localdb is its own data. A re-seed copies
// only the schemas replication carries: the target's localdb is neither dropped nor
// overwritten, the source's is not copied, the replicated schemas end equal, and `verify`
// compares only what replication carries. A physical copy (the whole datadir) is refused.

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/recovery_cluster.h"

namespace mmresync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kTimeout = absl::Seconds(120);
constexpr char kLocalRows[] = "SELECT id, v FROM localdb.t ORDER BY id";

class ReplicationFiltersTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.mariadb_service = true;  // so that physical reaches the pre-flight
    options.extra_cnf_lines = {"replicate_ignore_db=localdb"};
    StartCluster(options);
    if (cluster_ == nullptr) return;
    // Each node's own localdb, with different content (not binlogged either way).
    for (int node : {kDb1, kDb2}) {
      absl::Status s = pair().ExecAll(
          node, {"SET sql_log_bin = 0", "CREATE DATABASE localdb",
                 "CREATE TABLE localdb.t (id INT PRIMARY KEY, v VARCHAR(40))",
                 absl::StrCat("INSERT INTO localdb.t VALUES (1, 'node", node + 1, " own'), (",
                              10 + node, ", 'only on node", node + 1, "')")});
      if (!s.ok()) local_setup_error() = s.ToString();
    }
  }
  void SetUp() override {
    ClusterSuite::SetUp();
    ASSERT_EQ(local_setup_error(), "");
  }
  static std::string& local_setup_error() {
    static std::string* error = new std::string();
    return *error;
  }

  // The replicated schemas' checksums (localdb left out).
  static std::map<std::string, std::string> ReplicatedChecksums(int node) {
    std::map<std::string, std::string> sums = Checksums(node);
    std::erase_if(sums, [](const auto& kv) { return absl::StartsWith(kv.first, "localdb."); });
    return sums;
  }

  void RecoverKeepsLocalSchemas(const std::string& method, int id) {
    const std::string db1_local = Rows(kDb1, kLocalRows);
    const std::string db2_local = Rows(kDb2, kLocalRows);
    ASSERT_THAT(db2_local, HasSubstr("only on node2"));
    ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, id));
    CliResult plan = Cli({"plan", "--source", "db1", "--method", method});
    EXPECT_EQ(plan.exit_code, 0) << plan.output();
    EXPECT_THAT(plan.output(), HasSubstr("pass  replication filters honoured"));
    CliResult r;
    int acked = 0;
    {
      AckedWriter writer(pair().node(kDb1).RootParams(), 1, 1000000, [&](int n) {
        return absl::StrCat("INSERT INTO crm.filters_", method, " VALUES (", n, ")");
      });
      r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", method});
      EXPECT_OK(writer.Stop());
      acked = writer.acked();
    }
    ASSERT_EQ(r.exit_code, 0) << r.output();
    EXPECT_THAT(r.output(), Not(HasSubstr("localdb")));  // neither dropped nor parked
    // The target's local schema as it was; the source's was not copied over it.
    EXPECT_EQ(Rows(kDb2, kLocalRows), db2_local);
    EXPECT_EQ(Rows(kDb1, kLocalRows), db1_local);
    ASSERT_OK(pair().WaitInSync(kTimeout));
    EXPECT_EQ(Value(kDb2, absl::StrCat("SELECT COUNT(*) FROM crm.filters_", method,
                                       " WHERE id <= ", acked)),
              absl::StrCat(acked));
    EXPECT_EQ(ReplicatedChecksums(kDb1), ReplicatedChecksums(kDb2));
    CliResult verify = Cli({"verify"});
    EXPECT_EQ(verify.exit_code, 0) << verify.output();
    EXPECT_THAT(verify.output(), Not(HasSubstr("localdb")));
  }
};

TEST_F(ReplicationFiltersTest, LogicalReseedLeavesTheIgnoredSchemaOnBothNodes) {
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE crm.filters_logical (id INT PRIMARY KEY)"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  RecoverKeepsLocalSchemas("logical", 920101);
}

TEST_F(ReplicationFiltersTest, DumpReseedLeavesTheIgnoredSchemaOnBothNodes) {
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE crm.filters_dump (id INT PRIMARY KEY)"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  RecoverKeepsLocalSchemas("dump", 920201);
}

// The delta method compares, drops and strips triggers only where replication carries the
// data: the target's ignored schema keeps its table and its own trigger.
TEST_F(ReplicationFiltersTest, DeltaRepairLeavesTheIgnoredSchemaAndItsTriggers) {
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE crm.filters_delta (id INT PRIMARY KEY)"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(kDb2, {"SET sql_log_bin = 0",
                                  "CREATE TRIGGER localdb.t_local BEFORE INSERT ON localdb.t "
                                  "FOR EACH ROW SET NEW.v = NEW.v"}));
  RecoverKeepsLocalSchemas("delta", 920401);
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.TRIGGERS "
                  "WHERE TRIGGER_SCHEMA = 'localdb' AND TRIGGER_NAME = 't_local'"),
            "1");
}

// The whole datadir would overwrite the target's localdb: refused before any change.
TEST_F(ReplicationFiltersTest, PhysicalIsRefusedWithTheReason) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 920301));
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "physical"});
  EXPECT_EQ(r.exit_code, 3) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("FAIL  replication filters honoured"));
  EXPECT_THAT(r.output(), HasSubstr("whole datadir"));
  EXPECT_THAT(Rows(kDb2, kLocalRows), HasSubstr("only on node2"));
  // Repair for whatever runs next.
  CliResult repair = Cli({"recover", "--source", "db1", "--yes", "--force"});
  EXPECT_EQ(repair.exit_code, 0) << repair.output();
}

}  // namespace
}  // namespace mmresync::testing
