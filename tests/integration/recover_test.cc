// End-to-end recoveries: real mariadbd pair, real agents, the real `mmresync` CLI.
// One RecoveryCluster is shared by every case of this binary (starting it costs tens
// of seconds); each case starts from a healthy pair, breaks it the way production
// pairs break, recovers it with the CLI, and leaves it healthy again.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/cli.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/recovery_cluster.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(120);
constexpr char kEventStatus[] =
    "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'shop' AND "
    "EVENT_NAME = 'nightly'";

bool IsDir(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Every regular file under `dir`, recursively.
void ListFilesRecursively(const std::string& dir, std::vector<std::string>* out) {
  for (const std::string& name : ListDir(dir)) {
    const std::string path = dir + "/" + name;
    if (IsDir(path)) {
      ListFilesRecursively(path, out);
    } else {
      out->push_back(path);
    }
  }
}

class RecoverTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;  // fence/unfence stop and start a keepalived stand-in
    StartCluster(options);
  }

  // Every case starts from a healthy pair (an earlier case that failed half-way is
  // repaired with the tool itself, so one failure does not fail every case).
  void SetUp() override { ExpectHealthyOrRepair(); }

  // Runs the CLI; a CLI that could not run or timed out is a test failure (exit -1).
  static CliResult Cli(const std::vector<std::string>& args) {
    auto result = cluster_->Cli(args);
    if (!result.ok()) {
      ADD_FAILURE() << result.status();
      return CliResult{};
    }
    *all_output_ += result->output();
    return *result;
  }

  static std::pair<std::string, uint64_t> Position(int node) {
    auto p = pair().MasterStatus(node);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : std::pair<std::string, uint64_t>{};
  }

  // Waits until `node`'s replica SQL thread has stopped with `sql_errno`.
  static absl::Status WaitSqlError(int node, const std::string& sql_errno) {
    std::map<std::string, std::string> status;
    return WaitForOk(
        [&]() -> absl::Status {
          auto s = pair().SlaveStatus(node);
          if (!s.ok()) return s.status();
          status = *s;
          if (status["Slave_SQL_Running"] == "No" && status["Last_SQL_Errno"] == sql_errno) {
            return absl::OkStatus();
          }
          return absl::UnavailableError(
              absl::StrCat("Slave_SQL_Running=", status["Slave_SQL_Running"], " Last_SQL_Errno=",
                           status["Last_SQL_Errno"], " Last_SQL_Error=", status["Last_SQL_Error"]));
        },
        kTimeout, absl::Milliseconds(50),
        absl::StrCat(pair().node(node).describe(), "'s SQL thread to stop with ", sql_errno));
  }

  // New files in an agent's backup directory since `before`.
  static std::set<std::string> NewBackups(int node, const std::set<std::string>& before) {
    std::set<std::string> now = ListDir(cluster().agent(node).backup_dir()), out;
    for (const std::string& name : now) {
      if (!before.count(name)) out.insert(name);
    }
    return out;
  }

  static std::string* all_output_;  // every CLI output of this binary, for the secrets check
};

std::string* RecoverTest::all_output_ = new std::string();

TEST_F(RecoverTest, HealthyPairStatusAndRecoverChangeNothing) {
  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.out, "healthy")) << status.Describe();

  CliResult json = Cli({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &parsed).ok()) << json.out;
  EXPECT_EQ(parsed.fields().at("health").string_value(), "healthy") << json.out;
  EXPECT_EQ(parsed.fields().at("cluster").string_value(), RecoveryCluster::kClusterName);
  ASSERT_EQ(parsed.fields().at("nodes").list_value().values_size(), 2) << json.out;
  EXPECT_EQ(parsed.fields()
                .at("nodes")
                .list_value()
                .values(1)
                .struct_value()
                .fields()
                .at("node")
                .string_value(),
            "db2");

  const auto positions = std::make_pair(Position(kDb1), Position(kDb2));
  const auto sums = Checksums(kDb1);
  const std::string journal_before = ReadFile(cluster().journal_path());
  CliResult recover = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(recover.exit_code, 0) << recover.Describe();
  EXPECT_TRUE(absl::StrContains(recover.out, "healthy")) << recover.Describe();
  // Nothing ran: no binlog event on either node, no journal entry, no fencing.
  EXPECT_EQ(std::make_pair(Position(kDb1), Position(kDb2)), positions);
  EXPECT_EQ(Checksums(kDb1), sums);
  EXPECT_EQ(Checksums(kDb2), sums);
  EXPECT_EQ(ReadFile(cluster().journal_path()), journal_before);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  CliResult plan = Cli({"plan", "--source", "db1"});
  EXPECT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.out, "healthy")) << plan.Describe();
  EXPECT_EQ(std::make_pair(Position(kDb1), Position(kDb2)), positions);
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// The replication waits poll a status that skips table metadata (information_schema.TABLES
// opens every table: seconds per poll on a server with tens of thousands of them). It
// still carries everything the waits read: replica threads, positions, server variables.
TEST_F(RecoverTest, ReplicationOnlyStatusSkipsTableMetadataButCarriesReplication) {
  auto stub = cluster().agent(kDb1).Stub();
  ASSERT_OK(stub.status());
  auto ask = [&](bool brief, bool replication_only) {
    v1::StatusRequest request;
    request.set_brief(brief);
    request.set_replication_only(replication_only);
    v1::NodeStatus reply;
    grpc::Status s = (*stub)->GetStatus(ContextWithDeadline().get(), request, &reply);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return reply;
  };
  const v1::NodeStatus full = ask(false, false);
  const v1::NodeStatus replication = ask(false, true);
  ASSERT_TRUE(full.db_error().empty()) << full.db_error();
  ASSERT_TRUE(replication.db_error().empty()) << replication.db_error();
  EXPECT_GT(full.schemas_size(), 0);
  EXPECT_FALSE(full.mariadb_service().control().empty());
  EXPECT_EQ(replication.schemas_size(), 0) << "replication-only status read table metadata";
  EXPECT_EQ(replication.engines_size(), 0);
  EXPECT_TRUE(replication.mariadb_service().control().empty());
  EXPECT_EQ(replication.state_dir_free_bytes(), 0u);
  EXPECT_EQ(replication.server_id(), full.server_id());
  EXPECT_TRUE(replication.replica().configured());
  EXPECT_EQ(replication.replica().io_running(), "Yes");
  EXPECT_EQ(replication.replica().sql_running(), "Yes");
  EXPECT_EQ(replication.master().file(), full.master().file());
  EXPECT_EQ(replication.node(), "db1");
  // brief wins: nothing from the database at all.
  EXPECT_EQ(ask(true, true).server_id(), 0u);
}

TEST_F(RecoverTest, DuplicateKeyOnStandby) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900001));
  // A role made on the master after the standby stopped applying, held by a user: the
  // re-seeded standby must have it, or replaying the user's grants fails.
  for (const char* sql : {"CREATE ROLE analyst", "GRANT SELECT ON crm.* TO analyst",
                          "GRANT analyst TO 'app'@'%'", "SET DEFAULT ROLE analyst FOR 'app'@'%'"}) {
    ASSERT_OK(pair().Exec(kDb1, sql));
  }

  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.out, "1062")) << status.Describe();

  // `plan` prints the steps and changes nothing.
  const auto positions = std::make_pair(Position(kDb1), Position(kDb2));
  const auto sums1 = Checksums(kDb1);
  const auto sums2 = Checksums(kDb2);
  CliResult plan = Cli({"plan", "--source", "db1"});
  EXPECT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.out, "DROP DATABASE")) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.out, "db1 → db2")) << plan.Describe();
  EXPECT_EQ(std::make_pair(Position(kDb1), Position(kDb2)), positions);
  EXPECT_EQ(Checksums(kDb1), sums1);
  EXPECT_EQ(Checksums(kDb2), sums2);
  EXPECT_FALSE(pair().ReplicationHealthy(kDb2).value_or(true)) << "plan changed replication";
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  const std::set<std::string> backups = ListDir(cluster().agent(kDb2).backup_dir());
  const std::string event_on_db1 = Value(kDb1, kEventStatus);
  CliResult recover = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));

  // The standby-only row is gone: db2 has db1's row.
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 900001"), "from master");
  // The target was unfenced again.
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  CliResult verify = Cli({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();

  // The target's backup was made before its data was replaced: its restore script is
  // complete, and its parked tables hold the row only the target had.
  const std::set<std::string> fresh = NewBackups(kDb2, backups);
  ASSERT_EQ(fresh.size(), 1u) << "backups in " << cluster().agent(kDb2).backup_dir();
  const std::string backup = ReadFile(cluster().agent(kDb2).backup_dir() + "/" + *fresh.begin());
  EXPECT_TRUE(absl::StrContains(backup, "mmresync backup complete"));
  EXPECT_TRUE(absl::StrContains(backup, "RENAME TABLE `mmr_park_"));
  const std::string parked_customers =
      Value(kDb2,
            "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE "
            "'mmr\\_park\\_%' AND TABLE_NAME = 'customers' ORDER BY CREATE_TIME DESC LIMIT 1");
  EXPECT_EQ(Value(kDb2, absl::StrCat("SELECT COUNT(*) FROM `", parked_customers,
                                     "`.customers WHERE name = 'standby only'")),
            "1");

  // What the dump carried beyond table rows.
  const std::string routines =
      "SELECT GROUP_CONCAT(ROUTINE_TYPE, ':', ROUTINE_NAME ORDER BY ROUTINE_NAME) FROM "
      "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'shop'";
  EXPECT_EQ(Value(kDb2, routines), "PROCEDURE:count_orders,FUNCTION:customer_total");
  EXPECT_EQ(Value(kDb2, "SELECT shop.customer_total(7)"),
            Value(kDb1, "SELECT shop.customer_total(7)"));
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE "
                  "TRIGGER_SCHEMA = 'shop' AND TRIGGER_NAME = 'orders_audit'"),
            "1");
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM shop.paid"),
            Value(kDb1, "SELECT COUNT(*) FROM shop.paid"));
  // A copied event must not fire on both nodes; the source's events are left alone
  // (ENABLED where it created them, SLAVESIDE_DISABLED if an earlier case re-seeded it).
  EXPECT_EQ(Value(kDb2, kEventStatus), "SLAVESIDE_DISABLED");
  EXPECT_EQ(Value(kDb1, kEventStatus), event_on_db1);
  // The account and its schema-, table- and column-level grants, its role and default
  // role, and the role (made on db1 after db2 stopped applying) with its privileges.
  auto grants = [&](int node, const std::string& account = "'app'@'%'") {
    auto rs = pair().Query(node, "SHOW GRANTS FOR " + account);
    std::set<std::string> out;
    if (!rs.ok()) return std::set<std::string>{rs.status().ToString()};
    for (const auto& row : rs->rows) out.insert(row[0].value_or("NULL"));
    return out;
  };
  EXPECT_EQ(grants(kDb2), grants(kDb1));
  EXPECT_EQ(grants(kDb2).size(), 6u);
  EXPECT_TRUE(grants(kDb2).count("GRANT `analyst` TO `app`@`%`"))
      << absl::StrJoin(grants(kDb2), "\n");
  EXPECT_TRUE(grants(kDb2).count("SET DEFAULT ROLE `analyst` FOR `app`@`%`"));
  EXPECT_EQ(grants(kDb2, "analyst"), grants(kDb1, "analyst"));
  EXPECT_TRUE(grants(kDb2, "analyst").count("GRANT SELECT ON `crm`.* TO `analyst`"))
      << absl::StrJoin(grants(kDb2, "analyst"), "\n");
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE email = 'c5@example.com'"),
            "Kunde 5 \xE2\x80\x94 Zo\xC3\xAB \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x9A\x80");
}

TEST_F(RecoverTest, MissingRowOnStandby) {
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "DELETE FROM shop.customers WHERE id = 3"}));
  ASSERT_OK(pair().Exec(kDb1, "UPDATE shop.customers SET name = 'renamed on db1' WHERE id = 3"));
  ASSERT_OK(WaitSqlError(kDb2, "1032"));

  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.out, "1032")) << status.Describe();

  // Progress as JSON lines: every line of stdout is one JSON object.
  CliResult recover = Cli({"recover", "--source", "db1", "--yes", "--json"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  int objects = 0;
  google::protobuf::Struct parsed;
  const std::string run = cluster().LastJournalRunId();
  for (absl::string_view line : absl::StrSplit(recover.out, '\n', absl::SkipEmpty())) {
    parsed.Clear();
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &parsed).ok())
        << "not JSON: " << line;
    // Scriptable: each event names the run and when it happened.
    EXPECT_EQ(parsed.fields().at("run").string_value(), run) << line;
    EXPECT_FALSE(parsed.fields().at("ts").string_value().empty()) << line;
    ++objects;
  }
  EXPECT_GT(objects, 5) << recover.Describe();
  // The last line is the result, as an object.
  ASSERT_TRUE(parsed.fields().contains("result")) << recover.Describe();
  EXPECT_TRUE(parsed.fields().at("result").struct_value().fields().at("ok").bool_value());
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 3"), "renamed on db1");
}

TEST_F(RecoverTest, ExtraRowsOnStandbyNeedForce) {
  ASSERT_OK(
      pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0",
                            "INSERT INTO crm.contacts (name) VALUES ('stray 1'), ('stray 2')"}));
  // Replication keeps running: only a data comparison sees it.
  ASSERT_OK(pair().WaitInSync(kTimeout));

  CliResult verify = Cli({"verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.Describe();
  EXPECT_TRUE(absl::StrContains(verify.out, "crm.contacts")) << verify.Describe();

  const std::string journal_before = ReadFile(cluster().journal_path());
  CliResult noop = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(noop.exit_code, 0) << noop.Describe();
  EXPECT_TRUE(absl::StrContains(noop.out, "healthy")) << noop.Describe();
  EXPECT_EQ(ReadFile(cluster().journal_path()), journal_before) << "a recovery ran without --force";
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name LIKE 'stray %'"), "2");

  CliResult forced = Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.Describe();
  CliResult verified = Cli({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name LIKE 'stray %'"), "0");
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

TEST_F(RecoverTest, SourceDb2ReseedsDb1) {
  ASSERT_OK(BreakWithDuplicateKey(kDb1, kDb2, 900002));
  // Written on db2 after db1 stopped applying: only db2 has it.
  ASSERT_OK(pair().Exec(kDb2, "INSERT INTO crm.contacts (name) VALUES ('only on db2')"));

  const std::set<std::string> backups = ListDir(cluster().agent(kDb1).backup_dir());
  CliResult recover = Cli({"recover", "--source", "db2", "--yes"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));

  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
  EXPECT_EQ(Value(kDb1, "SELECT name FROM shop.customers WHERE id = 900002"), "from master");
  EXPECT_EQ(Value(kDb1, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'only on db2'"), "1");
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb1));
  EXPECT_EQ(NewBackups(kDb1, backups).size(), 1u);

  // shop.nightly was created on db1, so db2 (the source) had it DISABLE ON SLAVE, and the
  // re-seeded db1 gets it disabled too: it runs on neither node, and both commands say so.
  const std::string nowhere =
      "1 event(s) are DISABLE ON SLAVE on both nodes and run on neither: shop.nightly";
  EXPECT_TRUE(absl::StrContains(recover.out, "WARNING: " + nowhere)) << recover.Describe();
  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.out, "note: " + nowhere)) << status.Describe();
  // Enabled again on db1 (db2 applies it as DISABLE ON SLAVE): the note goes away.
  ASSERT_OK(pair().Exec(kDb1, "ALTER EVENT shop.nightly ENABLE"));
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(
      Value(kDb2, "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_NAME = 'nightly'"),
      "SLAVESIDE_DISABLED");
  status = Cli({"status"});
  EXPECT_FALSE(absl::StrContains(status.out, "note:")) << status.Describe();
}

TEST_F(RecoverTest, ErrantTransactionsOnTargetAreRefusedUnlessDiscarded) {
  ASSERT_OK(pair().Exec(kDb1, "STOP SLAVE"));
  // A transaction db2 writes and binlogs while db1 does not apply anything: db1 never
  // received it, so re-seeding db2 from db1 would lose it.
  ASSERT_OK(pair().Exec(kDb2, "INSERT INTO crm.contacts (name) VALUES ('errant on db2')"));

  const auto positions = std::make_pair(Position(kDb1), Position(kDb2));
  const std::string journal_before = ReadFile(cluster().journal_path());
  CliResult refused = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_TRUE(absl::StrContains(refused.output(), "transaction")) << refused.Describe();
  // Names them by GTID (domain 2, server 2: written on db2).
  EXPECT_TRUE(absl::StrContains(refused.output(), " 2-2-")) << refused.Describe();
  EXPECT_TRUE(absl::StrContains(refused.output(), "never received")) << refused.Describe();
  EXPECT_TRUE(absl::StrContains(refused.output(), "--discard-target-writes")) << refused.Describe();
  // Nothing changed.
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'errant on db2'"), "1");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
  EXPECT_TRUE(pair().ReplicationHealthy(kDb2).value_or(false));
  EXPECT_EQ(std::make_pair(Position(kDb1), Position(kDb2)), positions);
  EXPECT_EQ(ReadFile(cluster().journal_path()), journal_before);

  // Discarding them needs the backup.
  CliResult unsafe =
      Cli({"recover", "--source", "db1", "--yes", "--discard-target-writes", "--skip-backup"});
  EXPECT_EQ(unsafe.exit_code, 3) << unsafe.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'errant on db2'"), "1");

  CliResult discarded = Cli({"recover", "--source", "db1", "--yes", "--discard-target-writes"});
  ASSERT_EQ(discarded.exit_code, 0) << discarded.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'errant on db2'"), "0");
  EXPECT_EQ(Value(kDb1, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'errant on db2'"), "0");
}

TEST_F(RecoverTest, FailedImportLeavesTargetFencedAndResumes) {
  // A view on db1 whose table is gone (unlogged, so db2 never sees any of it): the
  // stream from db1 cannot be imported on db2, deterministically.
  ASSERT_OK(pair().ExecAll(
      kDb1, {"SET SESSION sql_log_bin = 0", "CREATE DATABASE zz_broken",
             "CREATE TABLE zz_broken.t (id INT PRIMARY KEY)",
             "CREATE VIEW zz_broken.v AS SELECT id FROM zz_broken.t", "DROP TABLE zz_broken.t"}));

  CliResult failed = Cli({"recover", "--source", "db1", "--yes", "--force"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  EXPECT_TRUE(absl::StrContains(failed.output(), "stream-import")) << failed.Describe();
  EXPECT_TRUE(absl::StrContains(failed.output(), "mmresync recover --resume")) << failed.Describe();
  EXPECT_TRUE(absl::StrContains(failed.output(), "db2 (target): fenced")) << failed.Describe();
  EXPECT_TRUE(absl::StrContains(failed.output(), "db1 (source): writable")) << failed.Describe();
  // The target stays fenced; the source is writable and serving.
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb1));
  ASSERT_OK(pair().Exec(kDb1, "INSERT INTO crm.contacts (name) VALUES ('written while failed')"));
  // The failed run let go of both agents.
  CliResult status = Cli({"status", "--json"});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(status.out, &parsed).ok()) << status.out;
  for (const auto& node : parsed.fields().at("nodes").list_value().values()) {
    EXPECT_EQ(node.struct_value().fields().at("lease_holder").string_value(), "") << status.out;
  }
  // A resumed run keeps its roles.
  CliResult other_source = Cli({"recover", "--resume", "--yes", "--source", "db2"});
  EXPECT_EQ(other_source.exit_code, 2) << other_source.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");

  // Fix the cause, then resume the same run.
  ASSERT_OK(pair().ExecAll(kDb1, {"SET SESSION sql_log_bin = 0", "DROP DATABASE zz_broken"}));
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_TRUE(absl::StrContains(resumed.output(), "resumed")) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'written while failed'"),
            "1");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  // Nothing is left to resume.
  CliResult again = Cli({"recover", "--resume", "--yes"});
  EXPECT_EQ(again.exit_code, 2) << again.Describe();
  EXPECT_TRUE(absl::StrContains(again.err, "nothing to resume")) << again.Describe();
}

// Ctrl-C in the middle of the import: the run stops, the source stays writable, the
// target stays fenced, the message says how to resume, and the resumed run finishes.
TEST_F(RecoverTest, CtrlCDuringImportLeavesTargetFencedAndResumes) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900004));
  // An open transaction on db2 that has read a table holds a metadata lock on it: the
  // target's DROP DATABASE waits for it, which holds the run inside stream-import for
  // as long as this test wants, after the source's stream has started.
  auto blocker = pair().node(kDb2).Connect();
  ASSERT_OK(blocker.status());
  ASSERT_OK((*blocker)->Execute("START TRANSACTION"));
  ASSERT_OK((*blocker)->Query("SELECT COUNT(*) FROM shop.customers").status());

  const size_t agent_log_before = ReadFile(cluster().agent(kDb2).log_path()).size();
  // --backup dump: parking would wait on the same lock, before the import starts.
  auto cli = CliProcess::Start({"--config", cluster().config_path(), "recover", "--source", "db1",
                                "--yes", "--backup", "dump"});
  ASSERT_OK(cli.status());
  absl::Status waiting = WaitUntil(
      [&] {
        return Value(kDb2,
                     "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                     "'DROP DATABASE%' AND STATE LIKE '%metadata lock%'") == "1";
      },
      kTimeout, absl::Milliseconds(50), "the target's DROP DATABASE to wait for the lock");
  ASSERT_TRUE(waiting.ok()) << waiting << "\ndb2's agent:\n"
                            << ReadFile(cluster().agent(kDb2).log_path()).substr(agent_log_before);
  (*cli)->Signal(SIGINT);
  auto interrupted = (*cli)->Wait(absl::Seconds(120));
  ASSERT_OK(interrupted.status());
  *all_output_ += interrupted->output();
  EXPECT_EQ(interrupted->exit_code, 130) << interrupted->Describe();
  EXPECT_TRUE(
      absl::StrContains(interrupted->output(), "interrupted by the operator at step stream-import"))
      << interrupted->Describe();
  EXPECT_TRUE(absl::StrContains(interrupted->output(), "mmresync recover --resume"))
      << interrupted->Describe();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb1));
  ASSERT_OK(pair().Exec(kDb1, "INSERT INTO crm.contacts (name) VALUES ('after ctrl-c')"));

  // Let the agent's blocked statement through; it then notices the cancellation.
  ASSERT_OK((*blocker)->Execute("ROLLBACK"));
  blocker->reset();
  ASSERT_OK(WaitUntil(
      [&] {
        const std::string log = ReadFile(cluster().agent(kDb2).log_path());
        return log.size() > agent_log_before &&
               absl::StrContains(log.substr(agent_log_before), "WARN db2: import");
      },
      kTimeout, absl::Milliseconds(50), "db2's agent to end the cancelled import"));
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM crm.contacts WHERE name = 'after ctrl-c'"), "1");
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 900004"), "from master");
}

// Holds every import on `node` after its drop, before the first byte reaches the
// server: the agent's client command waits for `<gate>.go` (bounded) and then runs
// mariadb. `<gate>.waiting` appears when an import got there. ReleaseImports undoes it.
absl::Status HoldImports(RecoveryCluster& cluster, int node, const std::string& gate) {
  const std::string wrapper = gate + ".sh";
  RETURN_IF_ERROR(WriteFileAtomically(
      wrapper,
      absl::StrCat("#!/bin/sh\n: > '", gate, ".waiting'\n", "i=0; while [ ! -e '", gate,
                   ".go' ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done\n",
                   "exec mariadb \"$@\"\n"),
      0755));
  AgentProcess& agent = cluster.agent(node);
  RETURN_IF_ERROR(agent.Stop());
  agent.mutable_options().client_command = wrapper;
  return agent.Restart();
}

void ReleaseImports(RecoveryCluster& cluster, int node, const std::string& gate) {
  EXPECT_TRUE(WriteFileAtomically(gate + ".go", "", 0600).ok());
  AgentProcess& agent = cluster.agent(node);
  EXPECT_TRUE(agent.Stop().ok());
  agent.mutable_options().client_command.clear();
  EXPECT_TRUE(agent.Restart().ok());
}

// Two people on one pair: while a recover is importing, a second terminal runs
// `recover --resume`. It is refused (exit 3) naming the coordinator that runs the run,
// its host and when its lease expires, and changes nothing; the first run completes.
// While it imports, the target's agent itself refuses to be unfenced or to start a
// second import or backup, even for a caller presenting the holder's own lease.
TEST_F(RecoverTest, SecondResumeWhileImportingIsRefusedAndTheFirstRunCompletes) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900005));
  const std::string gate = cluster().base_dir() + "/import-gate-1";
  ASSERT_OK(HoldImports(cluster(), kDb2, gate));
  auto release = absl::MakeCleanup([&] { ReleaseImports(cluster(), kDb2, gate); });

  auto first = CliProcess::Start(
      {"--config", cluster().config_path(), "recover", "--source", "db1", "--yes"});
  ASSERT_OK(first.status());
  ASSERT_OK(WaitUntil([&] { return access((gate + ".waiting").c_str(), F_OK) == 0; }, kTimeout,
                      absl::Milliseconds(50), "the first run's import to start"));
  auto stub = cluster().agent(kDb2).Stub();
  ASSERT_OK(stub.status());
  v1::StatusRequest brief;
  brief.set_brief(true);
  v1::NodeStatus held;
  {
    grpc::Status s = (*stub)->GetStatus(ContextWithDeadline().get(), brief, &held);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_FALSE(held.lease_holder().empty());
  const v1::CoordinatorInstance holder = held.lease_instance();
  ASSERT_FALSE(holder.id().empty());

  CliResult second = Cli({"recover", "--resume", "--yes"});
  EXPECT_EQ(second.exit_code, 3) << second.Describe();
  EXPECT_TRUE(absl::StrContains(second.err, "refused, nothing was changed")) << second.Describe();
  EXPECT_TRUE(absl::StrContains(second.err, "coordinator " + holder.id())) << second.Describe();
  EXPECT_TRUE(absl::StrContains(second.err, "@" + holder.host())) << second.Describe();
  EXPECT_TRUE(absl::StrContains(second.err, absl::StrCat("pid ", holder.pid())))
      << second.Describe();
  EXPECT_TRUE(absl::StrContains(second.err, "lease expires in")) << second.Describe();
  {
    v1::NodeStatus now;
    grpc::Status s = (*stub)->GetStatus(ContextWithDeadline().get(), brief, &now);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(now.lease_holder(), held.lease_holder());
    EXPECT_EQ(now.lease_instance().id(), holder.id()) << "the refused run took the lease";
  }

  // Even with the holder's run and instance, the agent does not unfence or start a
  // second long operation while the import runs.
  {
    v1::SetReadOnlyRequest ro;
    ro.set_run_id(held.lease_holder());
    ro.set_read_only(false);
    v1::ActionReply reply;
    grpc::Status s =
        (*stub)->SetReadOnly(ContextWithDeadline(absl::Seconds(30), holder.id()).get(), ro, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "import for run")) << s.error_message();
    v1::BackupRequest backup;
    backup.set_run_id(held.lease_holder());
    auto context = ContextWithDeadline(absl::Seconds(30), holder.id());
    auto reader = (*stub)->BackupLocal(context.get(), backup);
    v1::Progress p;
    while (reader->Read(&p)) {
    }
    s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), "at a time")) << s.error_message();
  }
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");

  ASSERT_OK(WriteFileAtomically(gate + ".go", "", 0600));
  auto finished = (*first)->Wait(absl::Seconds(300));
  ASSERT_OK(finished.status());
  *all_output_ += finished->output();
  EXPECT_EQ(finished->exit_code, 0) << finished->Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 900005"), "from master");
}

// A coordinator killed mid-import (kill -9) leaves its lease behind; `recover --resume`
// on the same host proves it gone (its pid is dead) and takes the run over at once,
// without waiting for the lease to expire.
TEST_F(RecoverTest, ResumeTakesOverFromAKilledCoordinator) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 900006));
  const std::string gate = cluster().base_dir() + "/import-gate-2";
  ASSERT_OK(HoldImports(cluster(), kDb2, gate));
  auto release = absl::MakeCleanup([&] { ReleaseImports(cluster(), kDb2, gate); });
  const size_t agent_log_before = ReadFile(cluster().agent(kDb2).log_path()).size();
  auto first = CliProcess::Start(
      {"--config", cluster().config_path(), "recover", "--source", "db1", "--yes"});
  ASSERT_OK(first.status());
  ASSERT_OK(WaitUntil([&] { return access((gate + ".waiting").c_str(), F_OK) == 0; }, kTimeout,
                      absl::Milliseconds(50), "the first run's import to start"));
  (*first)->Signal(SIGKILL);
  auto killed = (*first)->Wait(absl::Seconds(60));
  ASSERT_OK(killed.status());
  // The agent ends the orphaned import once its client reads again.
  ASSERT_OK(WriteFileAtomically(gate + ".go", "", 0600));
  ASSERT_OK(WaitUntil(
      [&] {
        const std::string log = ReadFile(cluster().agent(kDb2).log_path());
        return log.size() > agent_log_before &&
               absl::StrContains(log.substr(agent_log_before), "WARN db2: import");
      },
      kTimeout, absl::Milliseconds(50), "db2's agent to end the orphaned import"));
  auto stub = cluster().agent(kDb2).Stub();
  ASSERT_OK(stub.status());
  v1::StatusRequest brief;
  brief.set_brief(true);
  v1::NodeStatus before;
  ASSERT_TRUE((*stub)->GetStatus(ContextWithDeadline().get(), brief, &before).ok());
  ASSERT_FALSE(before.lease_holder().empty()) << "the killed run's lease should still be live";

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_TRUE(absl::StrContains(resumed.err, "took over run " + before.lease_holder()))
      << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 900006"), "from master");
}

// Agents that disagree about which address is the VIP would make every VIP check watch
// the wrong address: status reports it, plan and recover refuse (exit 3) and change
// nothing. (The VIP holder as the default source, with one VIP seen by the kernel on
// one host only, needs separate hosts: tests/netns/vip_test.sh.) 127.0.0.1 is on a
// local interface of both agents here; 192.0.2.1 (TEST-NET-1) is on none.
TEST_F(RecoverTest, AgentsDisagreeingAboutTheVipAreRefused) {
  ASSERT_OK(cluster().RestartAgentWithVip(kDb1, "127.0.0.1"));
  ASSERT_OK(cluster().RestartAgentWithVip(kDb2, "192.0.2.1"));
  auto restore = absl::MakeCleanup([&] {
    EXPECT_OK(cluster().RestartAgentWithVip(kDb1, ""));
    EXPECT_OK(cluster().RestartAgentWithVip(kDb2, ""));
  });
  const std::string expected =
      "VIP configured differently on the agents: db1's agent.toml [keepalived] vip is "
      "\"127.0.0.1\", db2's agent.toml [keepalived] vip is \"192.0.2.1\"";

  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.out, expected)) << status.Describe();

  // File and position (Value would read the first column only: the file name).
  const auto db1_before = Position(kDb1);
  const auto db2_before = Position(kDb2);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"plan", "--force"},
        std::vector<std::string>{"recover", "--yes", "--force"},
        std::vector<std::string>{"recover", "--yes", "--force", "--source", "db1"}}) {
    CliResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 3) << r.Describe();
    EXPECT_TRUE(absl::StrContains(r.err, expected)) << r.Describe();
  }
  EXPECT_EQ(Position(kDb1), db1_before);
  EXPECT_EQ(Position(kDb2), db2_before);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
}

// Declared last: looks at everything the cases above made the tools write.
TEST_F(RecoverTest, PasswordsNeverInLogsJournalOrOutput) {
  std::vector<std::string> files;
  for (int node : {kDb1, kDb2}) ListFilesRecursively(cluster().agent(node).dir(), &files);
  ListFilesRecursively(cluster().coordinator_state_dir(), &files);
  ASSERT_FALSE(files.empty());
  for (const std::string& secret : cluster().secrets()) {
    ASSERT_FALSE(secret.empty());
    EXPECT_FALSE(absl::StrContains(*all_output_, secret)) << "a password in the CLI's output";
    for (const std::string& file : files) {
      EXPECT_FALSE(absl::StrContains(ReadFile(file), secret)) << "a password in " << file;
    }
    // The argv of the agents' children (mariadb-dump, mariadb), read while they run:
    // runs_test's NoPasswordInTheArgvOfTheAgentsChildrenWhileTheyRun.
  }
}

}  // namespace
}  // namespace mmresync::testing
