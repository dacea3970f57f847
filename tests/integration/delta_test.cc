// The delta method on a real pair: a standby broken by a duplicate key and diverged in
// every way a table can (rows changed, extra, missing; a NULL that became 'NULL'; binary,
// latin1 and JSON values; composite and VARCHAR keys; a table only on one node, a
// changed column definition, a table without a key) is repaired to an exact copy of the
// source while a writer keeps writing there, and only the divergent rows move. Views,
// routines, triggers and events that differ are replaced by the source's.

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/fault_points.h"
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
    options.auto_delta = true;  // the product's default: auto may choose delta
    StartCluster(options);
  }
  void SetUp() override {
    ClusterSuite::SetUp();
    ExpectHealthyOrRepair();
  }

  // The directory of the delta backup a recover's output names, or "".
  static std::string BackupDirOf(const std::string& output) {
    std::smatch dir;
    if (!std::regex_search(output, dir, std::regex("backup of what changed: (\\S+)"))) return "";
    return dir[1].str();
  }

  // Runs on db2 (sql_log_bin=0) the saved SQL of the restore.sql entry "-- <what> from
  // NNNN.sql.zst" of `backup_dir`.
  static absl::Status RunSavedSql(const std::string& backup_dir, const std::string& what) {
    const std::string restore = ReadFile(backup_dir + "/restore.sql");
    const std::string head = absl::StrCat("-- ", what, " from ");
    const size_t at = restore.find(head);
    if (at == std::string::npos) {
      return absl::NotFoundError(absl::StrCat("no entry \"", what, "\" in:\n", restore));
    }
    const size_t from = at + head.size();
    const std::string file = restore.substr(from, restore.find('\n', from) - from);
    auto ran = RunCommand(
        ShellCommand(absl::StrCat("zstd -dc ", backup_dir, "/", file,
                                  " | mariadb --init-command='SET sql_log_bin=0' -uroot --socket=",
                                  pair().node(kDb2).socket())),
        kTimeout);
    if (!ran.ok()) return ran.status();
    if (ran->exit_code != 0) return absl::InternalError(ran->stderr_text);
    return absl::OkStatus();
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
    // Temporal and DECIMAL key columns; BIT, FLOAT and a VIRTUAL column beside them.
    "CREATE TABLE delta.timed (at DATETIME(3), amount DECIMAL(12,2), bits BIT(10), f FLOAT,"
    " vb INT AS (bits + 1) VIRTUAL, PRIMARY KEY (at, amount)) ENGINE=InnoDB",
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
  // The target asked for the compact row encoding and the source agreed: both sides
  // digested in it (digests in two encodings would have made every range differ).
  EXPECT_THAT(ReadFile(cluster().agent(kDb1).log_path()),
              HasSubstr("rows digested in the compact encoding"));
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

// How each kind of object is defined, as information_schema shows it (every field that
// is part of the definition; a trigger's or event's creation time is not).
const char* const kObjectQueries[] = {
    "SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, DEFINER, SECURITY_TYPE,"
    " CHARACTER_SET_CLIENT, COLLATION_CONNECTION, ALGORITHM FROM information_schema.VIEWS"
    " WHERE TABLE_SCHEMA = 'delta_obj' ORDER BY 1",
    "SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, DTD_IDENTIFIER, IS_DETERMINISTIC,"
    " SQL_DATA_ACCESS, SECURITY_TYPE, SQL_MODE, DEFINER, CHARACTER_SET_CLIENT,"
    " COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.ROUTINES"
    " WHERE ROUTINE_SCHEMA = 'delta_obj' ORDER BY 1, 2",
    "SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER"
    " FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = 'delta_obj' ORDER BY 1, 2",
    "SELECT TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_STATEMENT, SQL_MODE,"
    " DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION"
    " FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'delta_obj' ORDER BY 1",
    "SELECT EVENT_NAME, EVENT_DEFINITION, DEFINER, SQL_MODE, TIME_ZONE, EVENT_TYPE,"
    " INTERVAL_VALUE, INTERVAL_FIELD, ON_COMPLETION, EVENT_COMMENT, CHARACTER_SET_CLIENT,"
    " COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.EVENTS"
    " WHERE EVENT_SCHEMA = 'delta_obj' ORDER BY 1",
};

TEST_F(DeltaTest, ViewsRoutinesTriggersAndEventsThatDifferAreReplacedByTheSourcesOwn) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_obj", "CREATE TABLE delta_obj.t (id INT PRIMARY KEY, v INT)",
             "INSERT INTO delta_obj.t VALUES (1, 1), (2, 2)",
             "CREATE VIEW delta_obj.v AS SELECT id FROM delta_obj.t",
             "CREATE VIEW delta_obj.sec AS SELECT v FROM delta_obj.t",
             // A view on a view: valid again once `v` is re-created.
             "CREATE VIEW delta_obj.vv AS SELECT id FROM delta_obj.v",
             "CREATE FUNCTION delta_obj.f(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
             "CREATE PROCEDURE delta_obj.p() SELECT 1 AS one",
             "CREATE TRIGGER delta_obj.tr BEFORE INSERT ON delta_obj.t FOR EACH ROW"
             " SET NEW.v = NEW.v + 1",
             "CREATE EVENT delta_obj.ev ON SCHEDULE EVERY 1 DAY DISABLE"
             " DO DELETE FROM delta_obj.t WHERE id < 0"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(
      kDb2,
      {"SET SESSION sql_log_bin = 0",
       // A view's body, another's SQL SECURITY.
       "CREATE OR REPLACE VIEW delta_obj.v AS SELECT id, v FROM delta_obj.t",
       "CREATE OR REPLACE SQL SECURITY INVOKER VIEW delta_obj.sec AS SELECT v FROM delta_obj.t",
       // A routine's body, another's sql_mode only.
       "DROP FUNCTION delta_obj.f",
       "CREATE FUNCTION delta_obj.f(x INT) RETURNS INT DETERMINISTIC RETURN x + 2",
       "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'", "DROP PROCEDURE delta_obj.p",
       "CREATE PROCEDURE delta_obj.p() SELECT 1 AS one", "SET SESSION sql_mode = DEFAULT",
       // A trigger's body, an event's body.
       "DROP TRIGGER delta_obj.tr",
       "CREATE TRIGGER delta_obj.tr BEFORE INSERT ON delta_obj.t FOR EACH ROW"
       " SET NEW.v = NEW.v + 100",
       "ALTER EVENT delta_obj.ev DO DELETE FROM delta_obj.t WHERE id < -5",
       // Only on the target.
       "CREATE VIEW delta_obj.only_target AS SELECT 1 AS one",
       "CREATE PROCEDURE delta_obj.only_target_p() SELECT 2",
       "UPDATE delta_obj.t SET v = 3 WHERE id = 2"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900103));
  // Only on the source (the standby stopped applying).
  ASSERT_OK(pair().Exec(kDb1, "CREATE FUNCTION delta_obj.g() RETURNS INT DETERMINISTIC RETURN 7"));
  for (const char* q : kObjectQueries) ASSERT_NE(Rows(kDb2, q), Rows(kDb1, q)) << q;

  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // v, sec, f, p, g; the trigger and event travel with the source's other triggers and events.
  EXPECT_THAT(r.output(), HasSubstr("5 view(s), routine(s) and account(s) replaced")) << r.output();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));

  for (const char* q : kObjectQueries) EXPECT_EQ(Rows(kDb2, q), Rows(kDb1, q)) << q;
  EXPECT_EQ(Rows(kDb2, "SELECT * FROM delta_obj.vv ORDER BY id"), "1\n2");
  EXPECT_EQ(Value(kDb2, "SELECT delta_obj.f(1)"), "2");
  EXPECT_EQ(Value(kDb2, "SELECT v FROM delta_obj.t WHERE id = 2"), "2");
  CliResult verified = Cli({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.Describe();

  // `backups` lists the delta backup as restorable
  // (BackupsRestorePutsBackWhatADeltaRepairReplaced).
  const std::string run = cluster().LastJournalRunId();
  CliResult list = Cli({"backups", "list", "--node", "db2"});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_THAT(list.out, ::testing::ContainsRegex(run + " +delta"));
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("not restorable")));

  // The target's old definitions are in the delta backup, each restorable by itself.
  const std::string dir = BackupDirOf(r.output());
  ASSERT_FALSE(dir.empty()) << r.output();
  const std::string restore = ReadFile(dir + "/restore.sql");
  EXPECT_THAT(restore, HasSubstr("the target's procedure `delta_obj`.`only_target_p`"));
  EXPECT_THAT(restore, HasSubstr("the source's function `delta_obj`.`g` (not on the target"));
  ASSERT_OK(RunSavedSql(dir, "the target's view `delta_obj`.`v`"));
  EXPECT_EQ(Rows(kDb2, "SELECT * FROM delta_obj.v ORDER BY id"), "1|1\n2|2");

  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_obj"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(DeltaTest, AccountsAndRolesThatDifferAreReplacedByTheSourcesOwn) {
  // SHOW GRANTS of `account` on `node`, one grant a line, sorted (the server's order is
  // its own), or "<error>".
  auto SortedGrants = [](int node, const std::string& account) {
    std::vector<std::string> lines = absl::StrSplit(Rows(node, "SHOW GRANTS FOR " + account), '\n');
    std::sort(lines.begin(), lines.end());
    return absl::StrJoin(lines, "\n");
  };
  ASSERT_OK(pair().ExecAll(
      kDb1,
      {"CREATE DATABASE delta_acc", "CREATE TABLE delta_acc.t (id INT PRIMARY KEY)",
       "CREATE ROLE delta_reader", "GRANT SELECT ON delta_acc.* TO delta_reader",
       "CREATE ROLE delta_auditor", "GRANT SELECT ON delta_acc.t TO delta_auditor",
       "CREATE USER 'delta_app'@'%' IDENTIFIED BY 'app-pw'",
       "GRANT INSERT ON delta_acc.t TO 'delta_app'@'%'", "GRANT delta_reader TO 'delta_app'@'%'",
       "SET DEFAULT ROLE delta_reader FOR 'delta_app'@'%'",
       "CREATE USER 'delta_ro'@'%' IDENTIFIED BY 'ro-pw'", "GRANT delta_auditor TO 'delta_ro'@'%'",
       "SET DEFAULT ROLE delta_auditor FOR 'delta_ro'@'%'"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  const std::string agent_account = "'mmresync_agent'@'localhost'";
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0",
             // A changed grant.
             "REVOKE INSERT ON delta_acc.t FROM 'delta_app'@'%'",
             "GRANT DELETE ON delta_acc.t TO 'delta_app'@'%'",
             // An account only on the target.
             "CREATE USER 'delta_extra'@'%' IDENTIFIED BY 'extra-pw'",
             "GRANT SELECT ON delta_acc.t TO 'delta_extra'@'%'",
             // A role missing on the target (its holder loses it with it).
             "DROP ROLE delta_auditor",
             // The agent's own account differs from the source's: it is never touched.
             "GRANT SELECT ON delta_acc.t TO " + agent_account}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900109));
  const char* const kAccounts[] = {"'delta_app'@'%'", "'delta_ro'@'%'", "delta_reader",
                                   "delta_auditor"};
  EXPECT_NE(SortedGrants(kDb2, kAccounts[0]), SortedGrants(kDb1, kAccounts[0]));
  EXPECT_THAT(SortedGrants(kDb2, kAccounts[3]), HasSubstr("no such grant"));
  const std::string agent_grants = SortedGrants(kDb2, agent_account);
  const std::string repl_grants = SortedGrants(kDb2, "'repl'@'localhost'");
  ASSERT_NE(agent_grants, SortedGrants(kDb1, agent_account));

  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // delta_app (grant changed), delta_extra (dropped), delta_auditor (missing), delta_ro
  // (lost delta_auditor), delta_reader (held by delta_app, re-created with it).
  EXPECT_THAT(r.output(), HasSubstr("5 view(s), routine(s) and account(s) replaced")) << r.output();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));

  for (const char* account : kAccounts) {
    EXPECT_EQ(SortedGrants(kDb2, account), SortedGrants(kDb1, account)) << account;
    EXPECT_THAT(SortedGrants(kDb2, account), ::testing::StartsWith("GRANT ")) << account;
  }
  for (const char* account : {"'delta_app'@'%'", "'delta_ro'@'%'"}) {
    EXPECT_EQ(Value(kDb2, absl::StrCat("SHOW CREATE USER ", account)),
              Value(kDb1, absl::StrCat("SHOW CREATE USER ", account)));
  }
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'delta_extra'"), "0");
  // The agent's own account keeps what it had; it only becomes admin of the roles it
  // created (as MariaDB makes a role's creator).
  std::string agent_after;
  for (absl::string_view line : absl::StrSplit(SortedGrants(kDb2, agent_account), '\n')) {
    if (absl::StartsWith(line, "GRANT `delta_") && absl::EndsWith(line, "WITH ADMIN OPTION")) {
      continue;
    }
    absl::StrAppend(&agent_after, agent_after.empty() ? "" : "\n", line);
  }
  EXPECT_EQ(agent_after, agent_grants);
  EXPECT_EQ(SortedGrants(kDb2, "'repl'@'localhost'"), repl_grants);

  // The target's old accounts are in the delta backup, and put back by it.
  const std::string dir = BackupDirOf(r.output());
  ASSERT_FALSE(dir.empty()) << r.output();
  ASSERT_OK(RunSavedSql(dir, "the target's accounts and roles the repair replaced"));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'delta_extra'"), "1");
  EXPECT_THAT(SortedGrants(kDb2, "'delta_app'@'%'"), HasSubstr("GRANT DELETE ON `delta_acc`"));
  EXPECT_THAT(SortedGrants(kDb2, "delta_auditor"), HasSubstr("no such grant"));

  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0", "DROP USER 'delta_extra'@'%'",
                                  "REVOKE SELECT ON delta_acc.t FROM " + agent_account}));
  ASSERT_OK(pair().ExecAll(
      kDb1, {"DROP USER 'delta_app'@'%'", "DROP USER 'delta_ro'@'%'", "DROP ROLE delta_reader",
             "DROP ROLE IF EXISTS delta_auditor", "DROP DATABASE delta_acc"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(DeltaTest, BackupsRestorePutsBackWhatADeltaRepairReplaced) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_undo",
             "CREATE TABLE delta_undo.t (id INT PRIMARY KEY, v VARCHAR(20), b VARBINARY(8))",
             "INSERT INTO delta_undo.t SELECT seq, CONCAT('v', seq), IF(seq % 3 = 0, NULL,"
             " UNHEX('00FF0A')) FROM delta_undo.seq_1_to_3000",
             "CREATE TABLE delta_undo.changed (id INT PRIMARY KEY, x INT)",
             "INSERT INTO delta_undo.changed SELECT seq, seq FROM delta_undo.seq_1_to_50",
             "CREATE TABLE delta_undo.log (n INT)",
             "CREATE TRIGGER delta_undo.tr AFTER INSERT ON delta_undo.t FOR EACH ROW"
             " INSERT INTO delta_undo.log VALUES (NEW.id)"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(
      kDb2,
      {"SET SESSION sql_log_bin = 0",
       // Rows changed, missing and extra; a NULL that became ''.
       "UPDATE delta_undo.t SET v = 'standby' WHERE id IN (10, 2500)",
       "UPDATE delta_undo.t SET b = '' WHERE id = 3", "DELETE FROM delta_undo.t WHERE id = 77",
       "INSERT INTO delta_undo.t VALUES (5000, 'extra', NULL)",
       // Copied whole, dropped.
       "ALTER TABLE delta_undo.changed MODIFY x BIGINT",
       "UPDATE delta_undo.changed SET x = -1 WHERE id = 5",
       "CREATE TABLE delta_undo.only_target (id INT PRIMARY KEY, s TEXT)",
       "INSERT INTO delta_undo.only_target VALUES (1, 'mine'), (2, NULL)",
       // The standby's own trigger: the repair replaces it with the source's.
       "DROP TRIGGER delta_undo.tr",
       "CREATE TRIGGER delta_undo.tr AFTER INSERT ON delta_undo.t FOR EACH ROW"
       " INSERT INTO delta_undo.log VALUES (-NEW.id)",
       "CREATE USER 'delta_undo_user'@'%'"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900110));
  // Only on the source (the standby stopped applying): created by the repair.
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE delta_undo.only_source (id INT PRIMARY KEY)"));
  const char* const kDefinitions[] = {
      "SHOW CREATE TABLE delta_undo.changed",
      "SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS"
      " WHERE TRIGGER_SCHEMA = 'delta_undo'",
      "SELECT User, Host FROM mysql.user WHERE User LIKE 'delta\\_undo%'"};
  // The pair's heartbeat table changes on its own.
  auto user_tables = [](int node) {
    auto sums = Checksums(node);
    sums.erase("mmr_health.pings");
    return sums;
  };
  const auto before = user_tables(kDb2);
  std::vector<std::string> definitions_before;
  for (const char* q : kDefinitions) definitions_before.push_back(Rows(kDb2, q));

  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string run = cluster().LastJournalRunId();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_EQ(user_tables(kDb2), user_tables(kDb1));
  ASSERT_NE(user_tables(kDb2), before);

  CliResult restored = Cli({"backups", "restore", run, "--node", "db2", "--yes"});
  ASSERT_EQ(restored.exit_code, 0) << restored.Describe();
  EXPECT_THAT(restored.output(), HasSubstr("restored the backup of run " + run));
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  // Exactly the standby's old rows, tables, trigger and account; the table the repair
  // created is gone.
  EXPECT_EQ(user_tables(kDb2), before);
  for (size_t i = 0; i < std::size(kDefinitions); ++i) {
    EXPECT_EQ(Rows(kDb2, kDefinitions[i]), definitions_before[i]) << kDefinitions[i];
  }
  EXPECT_EQ(Value(kDb2, "SELECT v FROM delta_undo.t WHERE id = 10"), "standby");
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM delta_undo.t WHERE id = 77"), "0");
  // The restore fired no trigger on the rows it put back: the log holds only the row
  // the source's trigger wrote for the standby's extra row.
  EXPECT_EQ(Rows(kDb2, "SELECT n FROM delta_undo.log"), "5000");

  // The standby stays fenced; the next recover repairs it again.
  CliResult again = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb2), Checksums(kDb1));
  ASSERT_OK(pair().ExecAll(kDb1, {"DROP DATABASE delta_undo"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(DeltaTest, SchemasThatDifferAreRefusedWithNothingChanged) {
  ASSERT_OK(pair().ExecAll(kDb1, {"CREATE DATABASE delta_views CHARACTER SET utf8mb4",
                                  "CREATE TABLE delta_views.t (id INT PRIMARY KEY, v INT)",
                                  "INSERT INTO delta_views.t VALUES (1, 1), (2, 2)"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "ALTER DATABASE delta_views CHARACTER SET latin1",
             "UPDATE delta_views.t SET v = 3 WHERE id = 2"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900105));
  const auto before = Checksums(kDb2);
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.output(), HasSubstr("the target's user schemas"));
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

TEST_F(DeltaTest, AutoRepairsInPlaceWhenTheTargetHoldsTheSameTables) {
  ASSERT_OK(pair().ExecAll(
      kDb1,
      {"CREATE DATABASE delta_auto",
       "CREATE TABLE delta_auto.t (id INT PRIMARY KEY, pad VARCHAR(60)) ENGINE=InnoDB",
       "INSERT INTO delta_auto.t SELECT seq, REPEAT('p', 50) FROM delta_auto.seq_1_to_5000"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0",
                                  "UPDATE delta_auto.t SET pad = 'drift' WHERE id IN (10, 2000)",
                                  "DELETE FROM delta_auto.t WHERE id = 4000"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900106));

  CliResult plan = Cli({"plan", "--source", "db1", "--json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_THAT(plan.out, HasSubstr("\"method\":\"auto\""));
  EXPECT_THAT(plan.out, HasSubstr("\"method_chosen\":\"delta\""));
  EXPECT_THAT(plan.out, HasSubstr("\"method_reason\":\"the target has "));
  CliResult r = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.output(), HasSubstr("method delta (auto: the target has "));
  EXPECT_THAT(r.output(), HasSubstr("with the same definition and a key: only what differs moves"));
  EXPECT_THAT(r.output(), HasSubstr("method delta:"));
  // 3 divergent rows and the duplicate key's: a few rows, not 5000.
  const int64_t moved = DeltaFigure(r.output(), "row\\(s\\) moved");
  EXPECT_GE(moved, 3) << r.output();
  EXPECT_LE(moved, 10) << r.output();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_auto"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

// A resumed `auto` run keeps the method it chose when it began. Here the target's agent
// dies after the compare of an auto run that chose delta; meanwhile the target's biggest
// table changed its definition, so that auto would now choose the logical re-seed (less
// than half of the data comparable). The resume still repairs in place.
TEST_F(DeltaTest, ResumeOfAnAutoRunKeepsTheMethodItChose) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_keep",
             "CREATE TABLE delta_keep.big (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB",
             "INSERT INTO delta_keep.big SELECT seq, REPEAT('k', 180) FROM "
             "delta_keep.seq_1_to_40000",
             // Its size as auto weighs it (information_schema), not InnoDB's first guess.
             "ANALYZE TABLE delta_keep.big"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "UPDATE delta_keep.big SET pad = 'x' WHERE id = 9"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900111));
  FaultPoints faults(absl::StrCat(cluster().base_dir(), "/faults-delta-keep"));
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "delta_compared=kill"));

  CliResult failed = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  ASSERT_TRUE(faults.Hit("delta_compared")) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("method delta (auto: the target has ")) << failed.output();

  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "ALTER TABLE delta_keep.big MODIFY pad TEXT",
             "ANALYZE TABLE delta_keep.big"}));
  ASSERT_OK(cluster().agent(kDb2).Restart());
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_THAT(resumed.output(), HasSubstr("method delta (auto: kept from the run's start: the "
                                          "target has "))
      << resumed.output();
  EXPECT_THAT(resumed.output(), HasSubstr("method delta:")) << resumed.output();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_keep"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

// A standby whose table differs in most of its rows (here every row past the first 20 000
// of 120 000 was rewritten there): the comparison does not bisect it chunk by chunk, the
// table is copied whole (its old rows saved in the backup first), the rest still by rows.
TEST_F(DeltaTest, ATableThatMostlyDiffersIsCopiedWholeNotRepairedRowByRow) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_dense",
             "CREATE TABLE delta_dense.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
             "INSERT INTO delta_dense.t SELECT seq, CONCAT('v', seq) FROM "
             "delta_dense.seq_1_to_120000",
             "CREATE TABLE delta_dense.few (id INT PRIMARY KEY, v INT) ENGINE=InnoDB",
             "INSERT INTO delta_dense.few SELECT seq, seq FROM delta_dense.seq_1_to_100000"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "UPDATE delta_dense.t SET v = 'stale' WHERE id > 20000",
             "UPDATE delta_dense.few SET v = -1 WHERE id = 777"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900112));

  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.output(), HasSubstr("1 table(s) copied whole")) << r.output();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM delta_dense.t WHERE v = 'stale'"), "0");
  EXPECT_EQ(Value(kDb2, "SELECT v FROM delta_dense.few WHERE id = 777"), "777");
  // The copy is analysed once loaded (its statistics are not the empty table's), and
  // InnoDB's background recalculation, paused meanwhile, is on again.
  const std::string size_sql =
      "SELECT DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'delta_dense' "
      "AND TABLE_NAME = 't'";
  int64_t source_size = 0, target_size = 0;
  ASSERT_TRUE(absl::SimpleAtoi(Value(kDb1, size_sql), &source_size));
  ASSERT_TRUE(absl::SimpleAtoi(Value(kDb2, size_sql), &target_size));
  EXPECT_GT(target_size * 2, source_size)
      << "db2's statistics of delta_dense.t after its copy: " << target_size << " bytes, db1's "
      << source_size;
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.innodb_stats_auto_recalc"), "1");
  // Range by range: only the other table's one row (and a neighbour at most).
  EXPECT_GE(DeltaFigure(r.output(), "row\\(s\\) moved"), 1) << r.output();
  EXPECT_LE(DeltaFigure(r.output(), "row\\(s\\) moved"), 2) << r.output();
  const std::string backup = BackupDirOf(r.output());
  ASSERT_FALSE(backup.empty()) << r.output();
  EXPECT_THAT(ReadFile(backup + "/restore.sql"), HasSubstr("`delta_dense`.`t`"));
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_dense"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(DeltaTest, AutoReseedsATargetThatLostASchema) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_gone", "CREATE TABLE delta_gone.t (id INT PRIMARY KEY)",
             "INSERT INTO delta_gone.t SELECT seq FROM delta_gone.seq_1_to_100"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0", "DROP DATABASE delta_gone"}));
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900107));

  CliResult plan = Cli({"plan", "--source", "db1"});
  ASSERT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_THAT(plan.out, HasSubstr("method logical (auto: schema delta_gone is on the source only"));
  CliResult r = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.output(), HasSubstr("method logical (auto: schema delta_gone"));
  EXPECT_THAT(r.output(), HasSubstr("method logical:"));
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM delta_gone.t"), "100");
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_gone"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

// CHECKSUM TABLE of a table with VIRTUAL columns changes when the table is reopened
// (FLUSH TABLES) though its rows did not: verify sums such tables over their stored
// columns, which still sees a changed row, and agrees after a delta repair.
TEST_F(DeltaTest, VerifyAgreesOnTablesWithVirtualColumnsAndSeesTheirDifferences) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE delta_virtual",
             "CREATE TABLE delta_virtual.t (id INT PRIMARY KEY, a INT, f FLOAT,"
             " v INT AS (a * 2) VIRTUAL, s VARCHAR(20) AS (CONCAT('k', a)) VIRTUAL,"
             " st INT AS (a + 1) STORED) ENGINE=InnoDB",
             "INSERT INTO delta_virtual.t (id, a, f) SELECT seq, IF(seq % 7 = 0, NULL, seq),"
             " seq / 3 FROM delta_virtual.seq_1_to_3000"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().Exec(kDb2, "FLUSH NO_WRITE_TO_BINLOG TABLES"));
  CliResult same = Cli({"verify"});
  EXPECT_EQ(same.exit_code, 0) << same.Describe();

  // A FLOAT beyond its 6 printed digits, on the standby only.
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0",
                                  "UPDATE delta_virtual.t SET f = f + 0.0001 WHERE id = 1500"}));
  CliResult differ = Cli({"verify"});
  EXPECT_NE(differ.exit_code, 0) << differ.Describe();
  EXPECT_THAT(differ.output(), HasSubstr("delta_virtual")) << differ.Describe();

  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900108));
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().Exec(kDb1, "FLUSH NO_WRITE_TO_BINLOG TABLES"));
  CliResult repaired = Cli({"verify"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.Describe();
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE delta_virtual"));
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
