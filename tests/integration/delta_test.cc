// The delta method on a real pair: a standby broken by a duplicate key and diverged in
// every way a table can (rows changed, extra, missing; a NULL that became 'NULL'; binary,
// latin1 and JSON values; composite and VARCHAR keys; a table only on one node, a
// changed column definition, a table without a key) is repaired to an exact copy of the
// source while a writer keeps writing there, and only the divergent rows move.

#include <signal.h>

#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(120);

// The number before `label` in the recover's "method delta: ..." note; -1 if absent.
int64_t DeltaFigure(const std::string& output, const std::string& label) {
  std::smatch m;
  std::regex re("([0-9]+) " + label);
  if (!std::regex_search(output, m, re)) return -1;
  int64_t n = -1;
  (void)absl::SimpleAtoi(m[1].str(), &n);
  return n;
}

class DeltaTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    StartCluster(options);
  }
  void SetUp() override {
    ClusterSuite::SetUp();
    ExpectHealthyOrRepair();
  }
};

// Replicated to both nodes before the break.
const char* const kShared[] = {
    "CREATE DATABASE delta CHARACTER SET utf8mb4",
    "CREATE TABLE delta.big (id INT PRIMARY KEY, pad VARCHAR(100), n BIGINT) ENGINE=InnoDB",
    "INSERT INTO delta.big SELECT 2 * seq, REPEAT(CHAR(65 + seq % 26), 80), seq * 7"
    " FROM delta.seq_1_to_20000",
    "CREATE TABLE delta.comp (a INT, b VARCHAR(20) CHARACTER SET latin1, v VARBINARY(16),"
    " j JSON, PRIMARY KEY (a, b)) ENGINE=InnoDB",
    "INSERT INTO delta.comp SELECT seq % 50, CONCAT('k', seq), IF(seq % 3 = 0, NULL,"
    " UNHEX(CONCAT('00', HEX(seq), '0A09'))), IF(seq % 5 = 0, NULL, JSON_OBJECT('s', seq))"
    " FROM delta.seq_1_to_2000",
    "INSERT INTO delta.comp VALUES (7, CONVERT(UNHEX('636166E9') USING latin1), '', '[]')",
    "CREATE TABLE delta.named (code VARCHAR(40) PRIMARY KEY, note TEXT NULL) ENGINE=InnoDB",
    "INSERT INTO delta.named SELECT CONCAT('c\xC3\xA9-', seq), IF(seq % 4 = 0, NULL,"
    " CONCAT('note ', seq)) FROM delta.seq_1_to_500",
    // Temporal and DECIMAL key columns; BIT and FLOAT beside them (a VIRTUAL column is
    // left out: CHECKSUM TABLE of such a table differed from run to run on the repaired
    // node while its rows, read back, were equal).
    "CREATE TABLE delta.timed (at DATETIME(3), amount DECIMAL(12,2), bits BIT(10), f FLOAT,"
    " PRIMARY KEY (at, amount)) ENGINE=InnoDB",
    "INSERT INTO delta.timed (at, amount, bits, f) SELECT '2024-02-29 23:59:59.5' + INTERVAL"
    " seq SECOND, seq / 4, seq % 1024, seq / 3 FROM delta.seq_1_to_3000",
    "CREATE TABLE delta.nokey (a INT, b TEXT) ENGINE=InnoDB",
    "INSERT INTO delta.nokey VALUES (1, 'x'), (1, 'x'), (NULL, NULL)",
    "CREATE TABLE delta.changed (id INT PRIMARY KEY, x INT) ENGINE=InnoDB",
    "INSERT INTO delta.changed SELECT seq, seq FROM delta.seq_1_to_100",
};

// On the standby only (not binlogged): the divergences, 13 rows in compared tables.
const char* const kDiverge[] = {
    "SET SESSION sql_log_bin = 0",
    // big: 2 changed, 2 missing, 2 extra (one inside the key space, one past its end).
    "UPDATE delta.big SET pad = 'changed' WHERE id IN (1000, 30000)",
    "DELETE FROM delta.big WHERE id IN (5000, 39998)",
    "INSERT INTO delta.big VALUES (5001, 'extra', 0), (50000, 'extra', 0)",
    // comp: a JSON value changed, a NULL that became '', a binary value changed, one extra.
    "UPDATE delta.comp SET j = JSON_OBJECT('s', -1) WHERE a = 1 AND b = 'k1'",
    "UPDATE delta.comp SET v = '' WHERE a = 3 AND b = 'k3'",
    "UPDATE delta.comp SET v = UNHEX('00FF') WHERE a = 2 AND b = 'k2'",
    "INSERT INTO delta.comp VALUES (7, 'zz', NULL, NULL)",
    // timed: a BIT value changed.
    "UPDATE delta.timed SET bits = b'1111111111' WHERE amount = 250.00",
    // named: a NULL that became the string 'NULL', one missing.
    "UPDATE delta.named SET note = 'NULL' WHERE code = 'c\xC3\xA9-4'",
    "DELETE FROM delta.named WHERE code = 'c\xC3\xA9-250'",
    // Copied whole or dropped, not compared.
    "INSERT INTO delta.nokey VALUES (2, 'only here')",
    "ALTER TABLE delta.changed MODIFY x BIGINT",
    "CREATE TABLE delta.only_target (id INT PRIMARY KEY) ENGINE=InnoDB",
    "INSERT INTO delta.only_target VALUES (1)",
};
constexpr int kDivergentRows = 13;  // + the duplicate key's row in shop.customers

TEST_F(DeltaTest, RepairsADivergedStandbyByMovingOnlyTheDivergentRows) {
  ASSERT_OK(pair().ExecAll(kDb1, std::vector<std::string>(std::begin(kShared), std::end(kShared))));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(
      pair().ExecAll(kDb2, std::vector<std::string>(std::begin(kDiverge), std::end(kDiverge))));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900101));
  // Only on the source (the standby stopped applying): the writer's table.
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE delta.acked (id INT PRIMARY KEY, at DATETIME(6))"));
  AckedWriter writer(pair().node(kDb1).RootParams(), 1, 100000, [](int id) {
    return absl::StrCat("INSERT INTO delta.acked VALUES (", id, ", NOW(6))");
  });
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        return writer.acked() >= 20 ? absl::OkStatus() : absl::UnavailableError("writer not going");
      },
      kTimeout, absl::Milliseconds(10), "the writer"));

  // plan says what delta compares, and changes nothing.
  const auto sums2 = Checksums(kDb2);
  CliResult plan = Cli({"plan", "--source", "db1", "--method", "delta"});
  EXPECT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_THAT(plan.out, HasSubstr("method delta"));
  EXPECT_THAT(plan.out, HasSubstr("compare: every table of both nodes"));
  EXPECT_THAT(plan.out, ::testing::Not(HasSubstr("backup target (park)")));
  EXPECT_EQ(Checksums(kDb2), sums2);

  const absl::Time start = absl::Now();
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  const absl::Duration took = absl::Now() - start;
  const int during = writer.acked();
  const absl::Status writer_error = writer.Stop();
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(writer_error.ok()) << "the source refused a write: " << writer_error;
  EXPECT_THAT(r.output(), HasSubstr("method delta:"));
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));

  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  for (const char* q :
       {"SELECT HEX(v), j FROM delta.comp ORDER BY a, b",
        "SELECT at, amount, BIN(bits), CAST(f AS DOUBLE) FROM delta.timed ORDER BY at",
        "SELECT code, note, note IS NULL FROM delta.named ORDER BY code",
        "SELECT * FROM delta.nokey ORDER BY a, b"}) {
    EXPECT_EQ(Rows(kDb2, q), Rows(kDb1, q)) << q;
  }
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 900101"), "from master");
  EXPECT_EQ(Value(kDb2,
                  "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                  " 'delta' AND TABLE_NAME = 'changed' AND COLUMN_NAME = 'x'"),
            "int");
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA ="
                  " 'delta' AND TABLE_NAME = 'only_target'"),
            "0");
  // The triggers and events are the source's again (the sample's trigger and event).
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA"
                  " = 'shop'"),
            Value(kDb1,
                  "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA"
                  " = 'shop'"));
  EXPECT_EQ(
      Value(kDb2, "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_NAME = 'nightly'"),
      "SLAVESIDE_DISABLED");
  // Every acknowledged write is on both nodes, once.
  const int n = writer.acked();
  EXPECT_GT(during, 20);
  for (int node : {kDb1, kDb2}) {
    EXPECT_EQ(
        Value(node, absl::StrCat("SELECT COUNT(DISTINCT id) FROM delta.acked WHERE id <= ", n)),
        absl::StrCat(n))
        << "node " << node;
  }

  // A delta, not a copy: the divergent rows (and at most one neighbour each, the
  // bisection's last cut holding one target row) out of 22 000.
  const int64_t moved = DeltaFigure(r.output(), "row\\(s\\) moved");
  const int64_t differing = DeltaFigure(r.output(), "differing");
  EXPECT_GE(moved, kDivergentRows - 2 + 1) << r.output();  // the 2 extras move nothing
  EXPECT_LE(moved, 2 * (kDivergentRows + 1)) << r.output();
  EXPECT_GE(differing, 8) << r.output();
  // delta.acked (only on the source), delta.nokey (no key), delta.changed (definition).
  EXPECT_THAT(r.output(), HasSubstr("3 table(s) copied whole, 1 dropped")) << r.output();
  std::cout << "delta repair: " << absl::FormatDuration(took) << "\n" << r.output() << std::endl;

  // For the report: a logical re-seed of the same data in the same run.
  const absl::Time logical_start = absl::Now();
  CliResult logical =
      Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical"});
  std::cout << "logical re-seed: " << absl::FormatDuration(absl::Now() - logical_start) << "\n"
            << logical.output() << std::endl;
  EXPECT_EQ(logical.exit_code, 0) << logical.Describe();

  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(DeltaTest, AViewThatDiffersIsRefusedWithNothingChanged) {
  ASSERT_OK(pair().ExecAll(kDb1, {"CREATE DATABASE delta_views",
                                  "CREATE TABLE delta_views.t (id INT PRIMARY KEY, v INT)",
                                  "INSERT INTO delta_views.t VALUES (1, 1), (2, 2)",
                                  "CREATE VIEW delta_views.v AS SELECT id FROM delta_views.t"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0",
             "CREATE OR REPLACE VIEW delta_views.v AS SELECT id, v FROM delta_views.t",
             "UPDATE delta_views.t SET v = 3 WHERE id = 2"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900103));
  const auto before = Checksums(kDb2);
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.output(), HasSubstr("the target's views differ from the source's"));
  EXPECT_THAT(r.output(), HasSubstr("use --method logical (nothing was changed)"));
  EXPECT_EQ(Checksums(kDb2), before);
  EXPECT_EQ(Value(kDb2, "SELECT v FROM delta_views.t WHERE id = 2"), "3");
  // Fenced meanwhile; the operator's way out is the logical re-seed.
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  (void)Cli({"recover", "--abandon", cluster().LastJournalRunId()});
  CliResult logical =
      Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical"});
  ASSERT_EQ(logical.exit_code, 0) << logical.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_views"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(DeltaTest, KillingTheTargetAgentMidApplyLeavesItFencedAndResumeFinishes) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_fault",
             "CREATE TABLE delta_fault.big (id INT PRIMARY KEY, pad VARCHAR(100)) ENGINE=InnoDB",
             "INSERT INTO delta_fault.big SELECT seq, REPEAT('x', 90) FROM "
             "delta_fault.seq_1_to_20000",
             // Without a key: copied whole, long enough to be caught loading.
             "CREATE TABLE delta_fault.wide (a INT, pad VARCHAR(200)) ENGINE=InnoDB",
             "INSERT INTO delta_fault.wide SELECT seq, REPEAT('y', 190) FROM "
             "delta_fault.seq_1_to_150000"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0",
                                  "UPDATE delta_fault.big SET pad = 'drift' WHERE id = 777",
                                  "DELETE FROM delta_fault.big WHERE id = 15000"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900104));

  auto cli = StartCli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_OK(cli.status());
  absl::Status loading = WaitUntil(
      [&] {
        return Value(kDb2,
                     "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                     "'LOAD DATA%wide%'") != "0";
      },
      kTimeout, absl::Milliseconds(5), "the target to load delta_fault.wide");
  if (!loading.ok()) {
    (*cli)->Signal(SIGKILL);
    auto r = (*cli)->Wait(absl::Seconds(30));
    FAIL() << loading << "\n" << (r.ok() ? r->output() : r.status().ToString());
  }
  // The source frozen so the apply cannot finish before the kill lands.
  const pid_t source_agent = cluster().agent(kDb1).pid();
  ASSERT_EQ(kill(source_agent, SIGSTOP), 0);
  auto thaw = absl::MakeCleanup([&] { kill(source_agent, SIGCONT); });
  ASSERT_OK(cluster().agent(kDb2).Kill());
  auto ended = (*cli)->Wait(absl::Seconds(120));
  ASSERT_OK(ended.status());
  EXPECT_NE(ended->exit_code, 0) << ended->Describe();
  EXPECT_THAT(ended->output(), HasSubstr("recover --resume")) << ended->Describe();
  std::move(thaw).Invoke();

  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");

  ASSERT_OK(cluster().agent(kDb2).Restart());
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_THAT(resumed.output(), HasSubstr("method delta:"));
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  EXPECT_EQ(Value(kDb2, "SELECT pad FROM delta_fault.big WHERE id = 777"), std::string(90, 'x'));
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_fault"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

}  // namespace
}  // namespace mmresync::testing
