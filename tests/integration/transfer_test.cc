// The transfer methods on a real pair: what the logical method copies (every column
// type and object kind the harness can make), what happens on the source while it
// copies (a writer whose acknowledged rows are all counted; account and routine DDL
// after the snapshot), a target that stops reading, and the fallback to the dump
// method for data the snapshot does not cover.

#include <signal.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/mariadb_session.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/recovery_cluster.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kTimeout = absl::Seconds(120);
constexpr uint32_t kStallSeconds = 5;

// Tables and objects the logical method must copy byte for byte.
const char* const kFidelityData[] = {
    "CREATE DATABASE `odd-schema` CHARACTER SET latin1",
    "CREATE TABLE `odd-schema`.`types` (id INT PRIMARY KEY, l VARCHAR(20) CHARACTER SET latin1,"
    " u VARCHAR(40) CHARACTER SET utf8mb4, b BIT(10), g POINT, bl BLOB, d DATETIME(3),"
    " ts TIMESTAMP(6) NULL, f FLOAT, db DOUBLE, dec_ DECIMAL(30,10), j JSON,"
    " e ENUM('a','b'), st SET('x','y','z'), z DATE, y YEAR, bin BINARY(4),"
    " gen INT AS (id * 2) VIRTUAL, stored_gen VARCHAR(50) CHARACTER SET utf8mb4 AS (CONCAT(u, "
    "'!')) STORED,"
    " inv INT INVISIBLE) ENGINE=InnoDB",
    "SET SESSION sql_mode = ''",
    "INSERT INTO `odd-schema`.`types` (id, l, u, b, g, bl, d, ts, f, db, dec_, j, e, st, z, y,"
    " bin, inv) VALUES"
    " (1, CONVERT(UNHEX('636166E9') USING latin1), 'caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x9A\x80',"
    " b'1010101010', ST_GeomFromText('POINT(1 2)'), UNHEX('00090A0D5C4E2709'),"
    " '2020-01-02 03:04:05.123', '2020-01-02 03:04:05.123456', 0.1, 0.1,"
    " 12345678901234567890.0123456789, '{\"a\": [1, \"\\\\t\"]}', 'b', 'x,z', '2024-02-29',"
    " 2024, UNHEX('00FF0A09'), 7),"
    " (2, NULL, '', b'0', NULL, '', '1000-01-01', NULL, 3.4e38, 1.7976931348623157e308,"
    " -0.0000000001, NULL, 'a', '', NULL, NULL, NULL, NULL),"
    " (3, 'tab\there', 'new\nline \\\\N back\\\\slash', b'1111111111', NULL, REPEAT(UNHEX('00'), "
    "1000),"
    " '9999-12-31 23:59:59.999', '2037-01-19 03:14:07', -1.5, -2.5e-300, 0, '[]', 'b', 'y',"
    " '0000-00-00', 1901, 'ab', -1)",
    "CREATE TABLE `odd-schema`.`no pk` (a INT, b TEXT) ENGINE=InnoDB",
    "INSERT INTO `odd-schema`.`no pk` VALUES (1, 'x'), (1, 'x'), (NULL, NULL)",
    "CREATE TABLE `odd-schema`.parent (id INT PRIMARY KEY) ENGINE=InnoDB",
    "CREATE TABLE `odd-schema`.child (id INT PRIMARY KEY, parent_id INT,"
    " FOREIGN KEY (parent_id) REFERENCES `odd-schema`.parent (id)) ENGINE=InnoDB",
    "INSERT INTO `odd-schema`.parent VALUES (1), (2)",
    "INSERT INTO `odd-schema`.child VALUES (10, 1), (20, 2)",
    "CREATE TABLE `odd-schema`.parts (id INT, k INT, PRIMARY KEY (id, k)) ENGINE=InnoDB"
    " PARTITION BY HASH (k) PARTITIONS 3",
    "INSERT INTO `odd-schema`.parts SELECT seq, seq % 7 FROM seq_1_to_1000",
    "CREATE TABLE `odd-schema`.empty (id INT PRIMARY KEY) ENGINE=InnoDB",
    "CREATE TABLE `odd-schema`.zero_id (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB",
    "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
    "INSERT INTO `odd-schema`.zero_id VALUES (0, 1), (5, 2)",
    "SET SESSION sql_mode = DEFAULT",
    // A trigger that would double rows if it fired while the data is loaded.
    "CREATE TABLE `odd-schema`.log (id INT AUTO_INCREMENT PRIMARY KEY, what INT) ENGINE=InnoDB",
    "CREATE TRIGGER `odd-schema`.parent_log AFTER INSERT ON `odd-schema`.parent FOR EACH ROW"
    " INSERT INTO `odd-schema`.log (what) VALUES (NEW.id)",
    "INSERT INTO `odd-schema`.parent VALUES (3)",
    "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'",
    "CREATE DEFINER = CURRENT_USER PROCEDURE `odd-schema`.quoted() SELECT \"id\" FROM"
    " `odd-schema`.parent",
    "SET SESSION sql_mode = DEFAULT",
    "CREATE VIEW `odd-schema`.v2 AS SELECT * FROM `odd-schema`.v1_base",
};

class TransferTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.transfer_stall_seconds = kStallSeconds;
    StartCluster(options);
  }
  void SetUp() override {
    ClusterSuite::SetUp();
    absl::Status healthy = cluster_->CheckHealthy(absl::Seconds(20));
    if (healthy.ok()) return;
    // An earlier case failed half-way: repair with the tool so one failure stays one.
    ADD_FAILURE() << "pair unhealthy at the start of the case: " << healthy << "; repairing";
    if (Cli({"recover", "--resume", "--yes"}).exit_code != 0) {
      (void)Cli({"recover", "--abandon", cluster_->LastJournalRunId()});
      (void)Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "dump"});
    }
    ASSERT_OK(cluster_->CheckHealthy(kTimeout));
  }

  // A bigger table so that a copy lasts long enough to act during it.
  static void EnsureFiller() {
    if (Value(kDb1,
              "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'bulk' "
              "AND TABLE_NAME = 'filler'") == "1") {
      return;
    }
    ASSERT_OK(pair().Exec(kDb1, "CREATE DATABASE bulk"));
    for (int t = 0; t < 3; ++t) {
      ASSERT_OK(pair().Exec(
          kDb1, absl::StrCat("CREATE TABLE bulk.filler", t == 0 ? "" : absl::StrCat(t),
                             " (id INT PRIMARY KEY, pad VARCHAR(200), n BIGINT, KEY (n))"
                             " ENGINE=InnoDB")));
      ASSERT_OK(pair().Exec(
          kDb1, absl::StrCat("INSERT INTO bulk.filler", t == 0 ? "" : absl::StrCat(t),
                             " SELECT seq, REPEAT(CHAR(65 + seq % 26), 150), seq * 7 FROM "
                             "bulk.seq_1_to_150000")));
    }
    ASSERT_OK(pair().WaitInSync(kTimeout));
  }
};

TEST_F(TransferTest, LogicalCopiesEveryColumnTypeAndObjectExactly) {
  std::vector<std::string> statements;
  for (const char* s : kFidelityData) {
    std::string sql = s;
    // The view needs a base object first; seq tables live in the session's database.
    if (absl::StrContains(sql, "v1_base")) {
      statements.push_back(
          "CREATE VIEW `odd-schema`.v1_base AS SELECT id FROM `odd-schema`.parent");
    }
    statements.push_back(sql);
  }
  statements.insert(statements.begin(), "USE shop");
  ASSERT_OK(pair().ExecAll(kDb1, statements));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  // Diverge the standby so the copy has something to repair.
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "DELETE FROM `odd-schema`.child WHERE id = 20",
             "UPDATE `odd-schema`.`types` SET u = 'drift' WHERE id = 1"}));
  ASSERT_NE(Checksums(kDb1), Checksums(kDb2));

  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("method logical:"));
  // Both agents are this build: they agree on XXH3-128 for the parts' checks.
  EXPECT_THAT(ReadFile(cluster().agent(kDb1).log_path()), HasSubstr("parts checked with XXH3-128"));
  ASSERT_OK(pair().WaitInSync(kTimeout));

  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  const std::string values =
      "SELECT id, HEX(l), HEX(u), BIN(b), ST_AsText(g), HEX(bl), d, ts, f, db, dec_, j, e, st,"
      " z, y, HEX(bin), gen, stored_gen, inv FROM `odd-schema`.`types` ORDER BY id";
  EXPECT_EQ(Rows(kDb2, values), Rows(kDb1, values));
  EXPECT_EQ(Rows(kDb2, "SELECT * FROM `odd-schema`.zero_id ORDER BY id"), "0|1\n5|2");
  // The trigger exists on the copy and did not fire on the loaded rows.
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM `odd-schema`.log"), "1");
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE "
                  "TRIGGER_SCHEMA = 'odd-schema'"),
            "1");
  const std::string routines =
      "SELECT ROUTINE_NAME, SQL_MODE, DEFINER, ROUTINE_DEFINITION, CHARACTER_SET_CLIENT,"
      " COLLATION_CONNECTION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN"
      " ('odd-schema', 'shop') ORDER BY 1";
  EXPECT_EQ(Rows(kDb2, routines), Rows(kDb1, routines));
  const std::string views =
      "SELECT TABLE_NAME, VIEW_DEFINITION, DEFINER FROM information_schema.VIEWS WHERE"
      " TABLE_SCHEMA IN ('odd-schema', 'shop') ORDER BY 1";
  EXPECT_EQ(Rows(kDb2, views), Rows(kDb1, views));
  const std::string tables =
      "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_COLLATION, CREATE_OPTIONS FROM "
      "information_schema.TABLES WHERE TABLE_SCHEMA IN ('odd-schema', 'shop') ORDER BY 1, 2";
  EXPECT_EQ(Rows(kDb2, tables), Rows(kDb1, tables));
  EXPECT_EQ(
      Value(kDb2, "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_NAME = 'nightly'"),
      "SLAVESIDE_DISABLED");
  CliResult verify = Cli({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output();
  ASSERT_OK(pair().Exec(kDb1, "DROP DATABASE `odd-schema`"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(TransferTest, EveryRowAcknowledgedBySourceDuringTheCopyIsOnBothNodesOnce) {
  EnsureFiller();
  ASSERT_OK(pair().Exec(kDb1,
                        "CREATE TABLE IF NOT EXISTS crm.acked (id INT PRIMARY KEY,"
                        " at DATETIME(6)) ENGINE=InnoDB"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  AckedWriter writer(pair().node(kDb1).RootParams(), 1, 20000, [](int id) {
    return absl::StrCat("INSERT INTO crm.acked (id, at) VALUES (", id, ", NOW(6))");
  });
  // The copy starts while the writer is running.
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        return writer.acked() >= 20 ? absl::OkStatus() : absl::UnavailableError("writer not going");
      },
      kTimeout, absl::Milliseconds(10), "the writer"));
  const int before = writer.acked();
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  const int during = writer.acked();
  const absl::Status writer_error = writer.Stop();
  ASSERT_EQ(r.exit_code, 0) << r.output();
  ASSERT_TRUE(writer_error.ok()) << "the source refused a write: " << writer_error;
  EXPECT_THAT(r.output(), HasSubstr("method logical:"));
  EXPECT_GT(during, before) << "no write was acknowledged while recover ran";
  ASSERT_OK(pair().WaitInSync(kTimeout));
  const int n = writer.acked();
  for (int node : {kDb1, kDb2}) {
    EXPECT_EQ(Value(node, absl::StrCat("SELECT COUNT(*) FROM crm.acked WHERE id <= ", n)),
              absl::StrCat(n))
        << "node " << node;
    EXPECT_EQ(Value(node, absl::StrCat("SELECT COUNT(DISTINCT id) FROM crm.acked WHERE id <= ", n)),
              absl::StrCat(n))
        << "node " << node;
  }
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
}

TEST_F(TransferTest, AccountAndRoutineDdlAfterTheSnapshotArrivesThroughReplication) {
  EnsureFiller();
  ASSERT_OK(pair().Exec(kDb1, "CREATE USER IF NOT EXISTS 'doomed'@'%' IDENTIFIED BY 'x1'"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  const size_t log_from = LogSize(kDb1);
  std::thread ddl([&] {
    // Once the source has taken the snapshot, hold the target still and change
    // accounts and routines on the source: all of it is after the snapshot.
    if (!WaitForLog(kDb1, log_from, "transfer session", kTimeout).ok()) return;
    const pid_t target = cluster_->agent(kDb2).pid();
    kill(target, SIGSTOP);
    (void)pair().ExecAll(kDb1, {"CREATE USER 'late'@'%' IDENTIFIED BY 'late-pw'",
                                "GRANT SELECT ON shop.* TO 'late'@'%'", "DROP USER 'doomed'@'%'",
                                "CREATE PROCEDURE shop.late_proc() SELECT 42",
                                "CREATE TABLE crm.late_table (id INT PRIMARY KEY)",
                                "INSERT INTO crm.late_table VALUES (1)"});
    kill(target, SIGCONT);
  });
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  ddl.join();
  ASSERT_EQ(r.exit_code, 0) << r.output();
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE user = 'late'"), "1");
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE user = 'doomed'"), "0");
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE "
                  "ROUTINE_NAME = 'late_proc'"),
            "1");
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.late_table"), "1");
  auto healthy = pair().ReplicationHealthy(kDb2);
  EXPECT_TRUE(healthy.ok() && *healthy) << Rows(kDb2, "SHOW SLAVE STATUS");
  ASSERT_OK(pair().ExecAll(kDb1, {"DROP USER 'late'@'%'", "DROP PROCEDURE shop.late_proc",
                                  "DROP TABLE crm.late_table"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(TransferTest, ATargetThatStopsReadingDoesNotHoldTheSource) {
  EnsureFiller();
  const size_t log_from = LogSize(kDb1);
  const pid_t target = cluster_->agent(kDb2).pid();
  std::atomic<bool> released{false};
  std::string snapshot_holders;
  std::thread stall([&] {
    if (!WaitForLog(kDb1, log_from, "transfer session", kTimeout).ok()) return;
    kill(target, SIGSTOP);
    released =
        WaitForLog(kDb1, log_from, "for agent db2 ends: ", absl::Seconds(kStallSeconds * 6)).ok();
    // The snapshot connections are gone once the session ended.
    (void)WaitForOk(
        [&]() -> absl::Status {
          snapshot_holders = Value(kDb1,
                                   "SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN "
                                   "information_schema.PROCESSLIST p ON p.ID = "
                                   "t.trx_mysql_thread_id WHERE p.USER = '" +
                                       pair().node(kDb1).agent_user() + "'");
          return snapshot_holders == "0" ? absl::OkStatus() : absl::UnavailableError("held");
        },
        absl::Seconds(10), absl::Milliseconds(50), "snapshot transactions to end");
    kill(target, SIGCONT);
  });
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  stall.join();
  EXPECT_TRUE(released) << "the source never ended the stalled session; its log:\n"
                        << ReadFile(cluster_->agent(kDb1).log_path()).substr(log_from);
  EXPECT_EQ(snapshot_holders, "0");
  EXPECT_EQ(r.exit_code, 1) << r.output();
  // The source stayed writable, the target fenced.
  ASSERT_OK(pair().Exec(kDb1, "INSERT INTO crm.contacts (name) VALUES ('after stall')"));
  EXPECT_EQ(Value(kDb2, "SELECT @@read_only"), "1");
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output();
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
}

TEST_F(TransferTest, AutoFallsBackToDumpForASequenceBeforeDroppingAnything) {
  ASSERT_OK(pair().Exec(kDb1, "CREATE SEQUENCE crm.ticket_seq START WITH 100"));
  ASSERT_OK(pair().Exec(kDb1, "SELECT NEXTVAL(crm.ticket_seq)"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  CliResult logical =
      Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical"});
  EXPECT_EQ(logical.exit_code, 1) << logical.output();
  EXPECT_THAT(logical.output(), HasSubstr("crm.ticket_seq (SEQUENCE)"));
  EXPECT_THAT(logical.output(), HasSubstr("nothing was dropped"));
  EXPECT_EQ(Value(kDb2, "SELECT @@read_only"), "1");
  // A resume keeps the run's --method logical (refused if asked otherwise): the run is
  // given up, and a new one with auto falls back (the source says why) before dropping
  // anything.
  CliResult changed = Cli({"recover", "--resume", "--yes", "--method", "auto"});
  EXPECT_EQ(changed.exit_code, 2) << changed.output();
  EXPECT_THAT(changed.output(), HasSubstr("--method auto (the run uses logical)"));
  CliResult abandoned = Cli({"recover", "--abandon", cluster_->LastJournalRunId()});
  ASSERT_EQ(abandoned.exit_code, 0) << abandoned.output();
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("method dump instead of logical"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  ASSERT_OK(pair().Exec(kDb1, "DROP SEQUENCE crm.ticket_seq"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(TransferTest, NonInnoDbDataStaysWritableThroughTheDumpMethod) {
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE crm.legacy (id INT PRIMARY KEY, v INT) ENGINE=Aria"));
  ASSERT_OK(pair().Exec(kDb1, "INSERT INTO crm.legacy SELECT seq, seq FROM crm.seq_1_to_1000"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  AckedWriter writer(pair().node(kDb1).RootParams(), 1001, 30000, [](int id) {
    return absl::StrCat("INSERT INTO crm.legacy (id, v) VALUES (", id, ", ", id, ")");
  });
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  const absl::Status writer_error = writer.Stop();
  ASSERT_EQ(r.exit_code, 0) << r.output();
  ASSERT_TRUE(writer_error.ok()) << writer_error;
  EXPECT_THAT(r.output(), HasSubstr("method dump"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  const int n = writer.acked();
  ASSERT_GT(n, 1000);
  for (int node : {kDb1, kDb2}) {
    EXPECT_EQ(Value(node, absl::StrCat("SELECT COUNT(*) FROM crm.legacy WHERE id <= ", n)),
              absl::StrCat(n));
  }
  ASSERT_OK(pair().Exec(kDb1, "DROP TABLE crm.legacy"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(TransferTest, ADumpTargetThatStopsReadingReleasesTheSourcesGlobalLock) {
  EnsureFiller();
  // A non-InnoDB table: auto takes the dump method, whose mariadb-dump holds a global read
  // lock for the whole dump.
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE crm.legacy_lock (id INT PRIMARY KEY) ENGINE=Aria"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  const size_t log_from = LogSize(kDb1);
  const pid_t target = cluster_->agent(kDb2).pid();
  bool ended = false;
  absl::Status write_after;
  std::thread stall([&] {
    if (!WaitForLog(kDb1, log_from, "streaming dump to agent db2", kTimeout).ok()) return;
    kill(target, SIGSTOP);
    ended =
        WaitForLog(kDb1, log_from, "ended: the peer read nothing", absl::Seconds(kStallSeconds * 6))
            .ok();
    // The lock is gone: a write to the non-InnoDB table goes through (bounded).
    write_after = WaitForOk(
        [&] {
          return pair().ExecAll(kDb1, {"SET SESSION lock_wait_timeout = 2",
                                       "INSERT INTO crm.legacy_lock VALUES (1)"});
        },
        absl::Seconds(20), absl::Milliseconds(200), "a write to the Aria table on db1");
    kill(target, SIGCONT);
  });
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  stall.join();
  EXPECT_TRUE(ended) << "the source never ended the stalled dump; its log:\n"
                     << ReadFile(cluster_->agent(kDb1).log_path()).substr(log_from);
  EXPECT_TRUE(write_after.ok()) << write_after;
  EXPECT_EQ(r.exit_code, 1) << r.output();
  EXPECT_EQ(Value(kDb2, "SELECT @@read_only"), "1");
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output();
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  ASSERT_OK(pair().Exec(kDb1, "DROP TABLE crm.legacy_lock"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(TransferTest, CompressedStreamsCarryTheSameRowsInFewerBytes) {
  EnsureFiller();
  // A level outside zstd's range is a usage error that changes nothing.
  CliResult bad = Cli({"recover", "--source", "db1", "--yes", "--force", "--compression", "25"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output();
  EXPECT_THAT(bad.output(), HasSubstr("zstd level 1..19"));

  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "DELETE FROM bulk.filler1 WHERE id % 10 = 0"}));
  ASSERT_NE(Checksums(kDb1), Checksums(kDb2));
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical",
                     "--compression", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  // The filler's rows repeat one letter: zstd shrinks them several times over.
  EXPECT_THAT(r.output(), ::testing::ContainsRegex("over the link \\(zstd 3 [0-9.]+x\\)"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  CliResult verify = Cli({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.output();

  // none: the same bytes over the link as read.
  CliResult plain = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical",
                         "--compression", "none"});
  ASSERT_EQ(plain.exit_code, 0) << plain.output();
  EXPECT_THAT(plain.output(), Not(HasSubstr("zstd")));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));

  // auto (the default) between two agents on one host: never compressed, and the source
  // says why (the copy lasts longer than auto's 1 s warm-up, so a probe would have run).
  const size_t source_log = LogSize(kDb1);
  CliResult automatic =
      Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical"});
  ASSERT_EQ(automatic.exit_code, 0) << automatic.output();
  EXPECT_THAT(automatic.output(), HasSubstr("over the link (auto: uncompressed)"));
  EXPECT_OK(WaitForLog(kDb1, source_log, "compression auto: off (the target is on this host)",
                       absl::Seconds(5)));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
}

// One row larger than a gRPC message (8 MiB) and than the target's inflate bound: the
// source used to send it as one chunk, which failed the part ("a compressed chunk claims
// 12000006 bytes, more than the 8388608 allowed"; uncompressed, gRPC's own limit). Its
// bytes now go in pieces, compressed or not.
TEST_F(TransferTest, ARowLargerThanAMessageIsCopiedInPieces) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE IF NOT EXISTS wide",
             "CREATE TABLE wide.rows (id INT PRIMARY KEY, a LONGBLOB, b LONGBLOB) ENGINE=InnoDB",
             "INSERT INTO wide.rows VALUES (1, REPEAT('a', 6000000), REPEAT('b', 6000000)), "
             "(2, 'small', NULL)"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  for (const char* compression : {"none", "1"}) {
    ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0", "DELETE FROM wide.rows"}));
    CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "logical",
                       "--compression", compression});
    ASSERT_EQ(r.exit_code, 0) << compression << ": " << r.output();
    ASSERT_OK(pair().WaitInSync(kTimeout));
    EXPECT_EQ(Checksums(kDb1), Checksums(kDb2)) << compression;
    EXPECT_EQ(Value(kDb2, "SELECT LENGTH(a) + LENGTH(b) FROM wide.rows WHERE id = 1"), "12000000");
  }
  ASSERT_OK(pair().ExecAll(kDb1, {"DROP DATABASE wide"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

// BINLOG_GTID_POS is NULL once the source's binlog holds an event larger than
// max_allowed_packet (an UPDATE of a 12 MB row logs 24 MB under a 16 MiB limit). The dump
// method used to fail on it after the target's tables were parked; a file/position pair
// needs no GTID, and now copies. A MyISAM table makes it the dump under a global read lock:
// with --single-transaction, mariadb-dump 10.11 itself crashes there (README, Known limits).
TEST_F(TransferTest, ADumpAfterABinlogEventOverMaxAllowedPacketStillCopies) {
  ASSERT_OK(pair().ExecAll(
      kDb1, {"CREATE DATABASE IF NOT EXISTS wide",
             "CREATE TABLE wide.legacy (id INT PRIMARY KEY) ENGINE=MyISAM",
             "INSERT INTO wide.legacy VALUES (1), (2)",
             "CREATE TABLE wide.big (id INT PRIMARY KEY, a LONGBLOB, b LONGBLOB) ENGINE=InnoDB",
             "INSERT INTO wide.big VALUES (1, REPEAT('a', 6000000), REPEAT('b', 6000000))",
             "UPDATE wide.big SET a = REPEAT('c', 6000000) WHERE id = 1",
             "SET GLOBAL max_allowed_packet = 16777216"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0", "DELETE FROM wide.big"}));
  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force", "--method", "dump"});
  ASSERT_OK(pair().ExecAll(kDb1, {"SET GLOBAL max_allowed_packet = 67108864"}));
  ASSERT_EQ(r.exit_code, 0) << r.output();
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  ASSERT_OK(pair().ExecAll(kDb1, {"DROP DATABASE wide"}));
  ASSERT_OK(pair().WaitInSync(kTimeout));
}

TEST_F(TransferTest, ParkedBackupIsInstantAndItsScriptRestoresTheOldData) {
  // The standby holds its own (diverged) data, a trigger and a routine of its own.
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0",
                                  "INSERT INTO crm.contacts (name) VALUES ('only on db2')",
                                  "CREATE PROCEDURE crm.db2_only() SELECT 2"}));
  const auto before = Checksums(kDb2);
  const std::string objects =
      "SELECT 'r', ROUTINE_SCHEMA, ROUTINE_NAME, SQL_MODE, DEFINER FROM "
      "information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN ('crm', 'shop') UNION ALL "
      "SELECT 't', TRIGGER_SCHEMA, TRIGGER_NAME, SQL_MODE, DEFINER FROM "
      "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN ('crm', 'shop') UNION ALL "
      "SELECT 'v', TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, DEFINER FROM "
      "information_schema.VIEWS WHERE TABLE_SCHEMA IN ('crm', 'shop') ORDER BY 1, 2, 3";
  const std::string objects_before = Rows(kDb2, objects);
  ASSERT_THAT(objects_before, HasSubstr("db2_only"));
  const std::string parked_schemas =
      "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE "
      "'mmr\\_park\\_%'";
  const std::string parked_before = Value(kDb2, parked_schemas);

  CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_EQ(r.exit_code, 0) << r.output();
  EXPECT_THAT(r.output(), HasSubstr("tables parked; restore script "));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));  // parked schemas are not user data
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE "
                  "ROUTINE_NAME = 'db2_only'"),
            "0");
  const std::string parked = Value(kDb2,
                                   "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                   "TABLE_SCHEMA LIKE 'mmr\\_park\\_%'");
  EXPECT_NE(parked, "0");
  EXPECT_EQ(Value(kDb1,
                  "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                  "SCHEMA_NAME LIKE 'mmr\\_park\\_%'"),
            "0")
      << "parking must not replicate";

  // The restore script, as the README says to run it, on the standby taken out of the pair.
  const std::string marker = "tables parked; restore script ";
  const size_t at = r.output().find(marker);
  ASSERT_NE(at, std::string::npos);
  std::string script = r.output().substr(at + marker.size());
  script = script.substr(0, script.find(' '));
  ASSERT_OK(pair().Exec(kDb1, "STOP SLAVE"));
  ASSERT_OK(pair().Exec(kDb2, "STOP SLAVE"));
  auto restored =
      RunCommand({"/bin/sh", "-c",
                  absl::StrCat("mariadb --no-defaults -S '", pair().node(kDb2).socket(),
                               "' -uroot --init-command='SET sql_log_bin=0' < '", script, "'")},
                 absl::Seconds(120));
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_EQ(restored->exit_code, 0) << restored->stderr_text;
  EXPECT_EQ(Checksums(kDb2), before);
  EXPECT_EQ(Rows(kDb2, objects), objects_before);
  EXPECT_EQ(Value(kDb2, parked_schemas), parked_before) << "the script drops its parking schemas";
  // Back into the pair for the next cases.
  ASSERT_OK(pair().Exec(kDb1, "START SLAVE"));
  ASSERT_OK(pair().Exec(kDb2, "START SLAVE"));
  CliResult repair = Cli({"recover", "--source", "db1", "--yes", "--force", "--backup", "dump"});
  ASSERT_EQ(repair.exit_code, 0) << repair.output();
}

}  // namespace
}  // namespace mmresync::testing
