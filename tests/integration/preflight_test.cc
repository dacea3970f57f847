// The pre-flight configuration checks on a real pair: `plan` shows each as a named row,
// and a failing one (equal auto_increment_offset, a target max_allowed_packet below the
// source's, replication filters no method honours) refuses `recover` with exit 3 before
// anything changes on either node.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/recovery_cluster.h"

namespace mmresync::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(120);

class PreflightTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    StartCluster(options);
  }
  void SetUp() override {
    ClusterSuite::SetUp();
    ASSERT_OK(cluster_->CheckHealthy(kTimeout));
  }

  // What a refused run must leave as it was: both nodes' replica state, read_only, data.
  static std::string Snapshot() {
    std::string out;
    for (int node : {kDb1, kDb2}) {
      auto s = pair().SlaveStatus(node);
      absl::StrAppend(&out, node, ": ro=", Value(node, "SELECT @@read_only"),
                      " io=", s.ok() ? (*s)["Slave_IO_Running"] : "?",
                      " sql=", s.ok() ? (*s)["Slave_SQL_Running"] : "?",
                      " errno=", s.ok() ? (*s)["Last_SQL_Errno"] : "?",
                      " rows=", Value(node, "SELECT COUNT(*) FROM shop.customers"), "\n");
    }
    return out;
  }

  // Breaks the pair, applies `misconfigure` on db2, checks plan shows `row` failing and
  // recover is refused (exit 3) with nothing changed; then undoes and repairs.
  void ExpectRefused(int id, const std::vector<std::string>& misconfigure,
                     const std::vector<std::string>& undo, const std::string& row,
                     const std::string& detail) {
    ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, id));
    ASSERT_OK(pair().ExecAll(kDb2, misconfigure));
    const std::string before = Snapshot();
    const std::string journal_before = cluster_->LastJournalRunId();
    CliResult plan = Cli({"plan", "--source", "db1"});
    EXPECT_EQ(plan.exit_code, 3) << plan.output();
    EXPECT_THAT(plan.output(), HasSubstr(absl::StrCat("FAIL  ", row)));
    EXPECT_THAT(plan.output(), HasSubstr(detail));
    CliResult r = Cli({"recover", "--source", "db1", "--yes"});
    EXPECT_EQ(r.exit_code, 3) << r.output();
    EXPECT_THAT(r.output(), HasSubstr("refused, nothing was changed"));
    EXPECT_THAT(r.output(), HasSubstr(absl::StrCat("FAIL  ", row)));
    EXPECT_EQ(Snapshot(), before);
    EXPECT_EQ(cluster_->LastJournalRunId(), journal_before) << "a refused run was journaled";
    ASSERT_OK(pair().ExecAll(kDb2, undo));
    CliResult repaired = Cli({"recover", "--source", "db1", "--yes"});
    ASSERT_EQ(repaired.exit_code, 0) << repaired.output();
  }
};

TEST_F(PreflightTest, PlanShowsEveryCheckAsANamedRow) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910001));
  CliResult plan = Cli({"plan", "--source", "db1"});
  ASSERT_EQ(plan.exit_code, 0) << plan.output();
  for (const char* row :
       {"pass  auto_increment", "pass  binlog_format", "pass  log_slave_updates",
        "pass  max_allowed_packet", "pass  version", "pass  replication filters identical",
        "pass  replication filters honoured", "pass  privileges db1", "pass  privileges db2"}) {
    EXPECT_THAT(plan.output(), HasSubstr(row));
  }
  CliResult repaired = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(repaired.exit_code, 0) << repaired.output();
}

TEST_F(PreflightTest, EqualAutoIncrementOffsetIsRefusedWithNothingChanged) {
  ExpectRefused(910101, {"SET GLOBAL auto_increment_offset = 1"},
                {"SET GLOBAL auto_increment_offset = 2"}, "auto_increment",
                "offset 1 (db1) / 1 (db2)");
}

TEST_F(PreflightTest, SmallerTargetMaxAllowedPacketIsRefusedWithNothingChanged) {
  ExpectRefused(910201, {"SET GLOBAL max_allowed_packet = 1048576"},
                {"SET GLOBAL max_allowed_packet = 67108864"}, "max_allowed_packet",
                "at least 67108864");
}

TEST_F(PreflightTest, ReplicationFiltersAreRefusedWithTheirValues) {
  // replicate_* filters are dynamic while the replica is stopped.
  ExpectRefused(910301, {"STOP SLAVE", "SET GLOBAL replicate_ignore_db = 'local_only'"},
                {"SET GLOBAL replicate_ignore_db = ''"}, "replication filters",
                "db2: replicate_ignore_db=local_only");
}

// Least privilege (issue 11): the grants are read with SHOW GRANTS on the real server;
// a privilege the agent's account lacks is named in `status` and refuses the run.
TEST_F(PreflightTest, AMissingAgentPrivilegeIsShownAndRefusesTheRun) {
  const std::vector<std::string> revoke = {
      "SET SESSION sql_log_bin = 0",
      "REVOKE LOCK TABLES, EVENT ON *.* FROM 'mmresync_agent'@'localhost'"};
  const std::vector<std::string> undo = {
      "SET SESSION sql_log_bin = 0",
      "GRANT ALL PRIVILEGES ON *.* TO 'mmresync_agent'@'localhost' WITH GRANT OPTION"};
  ASSERT_OK(pair().ExecAll(kDb2, revoke));
  CliResult status = Cli({"status"});
  EXPECT_THAT(status.output(), HasSubstr("FAIL: the agent's account mmresync_agent@localhost "
                                         "lacks LOCK TABLES, EVENT"));
  CliResult json = Cli({"status", "--json"});
  EXPECT_THAT(json.output(), HasSubstr("\"missing\":[\"LOCK TABLES\",\"EVENT\"]"));
  ExpectRefused(910401, {}, undo, "privileges db2",
                "the agent's account mmresync_agent@localhost lacks LOCK TABLES, EVENT");
}

TEST_F(PreflightTest, AReplicationAccountWithoutReplicationSlaveRefusesTheRun) {
  ExpectRefused(910501,
                {"SET SESSION sql_log_bin = 0",
                 "REVOKE REPLICATION SLAVE ON *.* FROM 'repl'@'localhost', 'repl'@'127.0.0.1'"},
                {"SET SESSION sql_log_bin = 0",
                 "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'localhost', 'repl'@'127.0.0.1'"},
                "privileges db2", "lacks REPLICATION SLAVE");
}

}  // namespace
}  // namespace mmresync::testing
