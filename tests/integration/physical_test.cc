// `recover --method physical` end to end: real mariadbd pair, real agents controlling
// their own mariadbd through [mariadb.service] control = "command" (the harness's
// service scripts: a detached mariadbd, mariadb-admin shutdown, a pid check), the real
// mariadb-backup and mbstream, the real CLI.

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "tests/harness/cli.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/fault_points.h"
#include "tests/harness/recovery_cluster.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(180);

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// Entries of `dir` whose name starts with `prefix`.
std::set<std::string> Matching(const std::string& dir, const std::string& prefix) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (absl::StartsWith(name, prefix)) names.insert(name);
  }
  closedir(d);
  return names;
}

class PhysicalTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.mariadb_service = true;
    StartCluster(options);
  }

  void SetUp() override {
    ClusterSuite::SetUp();
    ASSERT_OK(cluster_->CheckHealthy(absl::Seconds(60)));
  }

  static std::string DataDir(int node) { return pair().node(node).data_dir(); }
  static std::string NodeDir(int node) { return pair().node(node).dir(); }

  // A row only db2 has (not binlogged), then the same key on db1: db2's SQL thread
  // stops with 1062. The row also marks db2's old datadir.
  static absl::Status BreakDb2(int id) {
    RETURN_IF_ERROR(pair().ExecAll(
        kDb2,
        {"SET SESSION sql_log_bin = 0",
         absl::StrCat("INSERT INTO shop.customers (id, name) VALUES (", id, ", 'standby only')")}));
    RETURN_IF_ERROR(pair().Exec(kDb1, absl::StrCat("INSERT INTO shop.customers (id, name) VALUES (",
                                                   id, ", 'from master')")));
    return WaitForOk(
        [&]() -> absl::Status {
          auto s = pair().SlaveStatus(kDb2);
          if (!s.ok()) return s.status();
          if ((*s)["Last_SQL_Errno"] == "1062") return absl::OkStatus();
          return absl::UnavailableError((*s)["Last_SQL_Error"]);
        },
        kTimeout, absl::Milliseconds(50), "db2's SQL thread to stop with 1062");
  }
};

TEST_F(PhysicalTest, RefusedWithoutServiceControlOnTheTarget) {
  AgentProcess& db2 = cluster().agent(kDb2);
  ASSERT_OK(db2.Stop());
  const std::string control = db2.options().mariadb_service_control;
  db2.mutable_options().mariadb_service_control = "none";
  ASSERT_OK(db2.Restart());

  const auto before = std::make_pair(pair().MasterStatus(kDb1), pair().MasterStatus(kDb2));
  const std::string journal = ReadFile(cluster().journal_path());
  CliResult r = Cli({"recover", "--source", "db1", "--method", "physical", "--yes", "--force"});
  EXPECT_EQ(r.exit_code, 3) << r.Describe();
  EXPECT_TRUE(absl::StrContains(r.output(), "db2 has no [mariadb.service] control"))
      << r.Describe();
  EXPECT_TRUE(absl::StrContains(r.output(), "nothing was changed")) << r.Describe();
  // Nothing changed: no fencing, no binlog event, no journal entry.
  EXPECT_EQ(ReadFile(cluster().journal_path()), journal);
  auto after = std::make_pair(pair().MasterStatus(kDb1), pair().MasterStatus(kDb2));
  ASSERT_TRUE(after.first.ok() && after.second.ok() && before.first.ok() && before.second.ok());
  EXPECT_EQ(*after.first, *before.first);
  EXPECT_EQ(*after.second, *before.second);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  ASSERT_OK(db2.Stop());
  db2.mutable_options().mariadb_service_control = control;
  ASSERT_OK(db2.Restart());
}

TEST_F(PhysicalTest, RecoversABrokenPairAndKeepsTheOldDatadirAsTheBackup) {
  ASSERT_OK(BreakDb2(910001));
  ASSERT_OK(pair().Exec(kDb1, "CREATE TABLE shop.after_break (id INT PRIMARY KEY, v TEXT)"));
  ASSERT_OK(pair().Exec(kDb1,
                        "INSERT INTO shop.after_break SELECT seq, REPEAT('x', 500) FROM "
                        "shop.seq_1_to_3000"));
  // Accounts of the replication user that only one node has: each node keeps its own.
  ASSERT_OK(pair().ExecAll(
      kDb2, {"SET SESSION sql_log_bin = 0", "CREATE USER 'repl'@'10.9.9.9' IDENTIFIED BY 'x-Pw.1'",
             "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.9.9.9'"}));
  ASSERT_OK(pair().ExecAll(kDb1, {"SET SESSION sql_log_bin = 0",
                                  "CREATE USER 'repl'@'10.8.8.8' IDENTIFIED BY 'y-Pw.2'"}));
  const pid_t old_pid = pair().node(kDb2).pid();
  const std::set<std::string> backups_before = Matching(NodeDir(kDb2), "data.mmresync-");

  CliResult plan = Cli({"plan", "--source", "db1", "--method", "physical"});
  EXPECT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.out, "--stream=mbstream")) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.out, "mbstream -x --parallel=<cores> -C")) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.out, "--prepare")) << plan.Describe();
  EXPECT_FALSE(absl::StrContains(plan.out, "backup target")) << plan.Describe();
  std::printf("%s\n", plan.out.c_str());

  const absl::Time start = absl::Now();
  CliResult r = Cli({"recover", "--source", "db1", "--method", "physical", "--yes"});
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  std::printf("recover --method physical took %s\n%s\n", absl::FormatDuration(took).c_str(),
              r.output().c_str());
  EXPECT_TRUE(absl::StrContains(r.output(), "method physical")) << r.Describe();
  EXPECT_TRUE(absl::StrContains(r.output(), "BLOCK_COMMIT")) << r.Describe();
  // Both agents are this build: the backup stream is checked with XXH3-128.
  EXPECT_TRUE(
      absl::StrContains(ReadFile(cluster().agent(kDb1).log_path()), "parts checked with XXH3-128"));

  // db2 runs on the copy: a new server process, the source's rows, not its own.
  EXPECT_NE(pair().node(kDb2).adopted_pid(), -1);
  EXPECT_NE(pair().node(kDb2).adopted_pid(), old_pid);
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910001"), "from master");
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM shop.after_break"), "3000");
  // db2's own accounts of the replication user, not db1's; db1's other accounts came along.
  EXPECT_EQ(
      Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'repl' AND Host = '10.9.9.9'"),
      "1");
  EXPECT_EQ(
      Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'repl' AND Host = '10.8.8.8'"),
      "0");
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'app'"), "1");
  // Its binary log is still its own: the old files and its GTID domain (2) carried over.
  // (A fresh binlog after the restart would be one file; the carried one has more.)
  auto binlogs = pair().Query(kDb2, "SHOW BINARY LOGS");
  ASSERT_TRUE(binlogs.ok()) << binlogs.status();
  EXPECT_GE(binlogs->rows.size(), 2u);
  EXPECT_TRUE(absl::StrContains(Value(kDb2, "SELECT @@GLOBAL.gtid_binlog_state"), "2-2-"))
      << Value(kDb2, "SELECT @@GLOBAL.gtid_binlog_state");
  // Unfenced as before; its own server_id (my.cnf), events as a replica has them.
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_EQ(Value(kDb2, "SELECT @@server_id"), "2");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM information_schema.EVENTS WHERE STATUS = 'ENABLED'"),
            "0");
  // db2's replica state is its own (phase 1 pointed it at db1), not the source's copy
  // of db1's (which points at db2); IsReplicaStateFile's unit test covers the cleaning.
  const std::string master_info = ReadFile(DataDir(kDb2) + "/master.info");
  EXPECT_TRUE(absl::StrContains(master_info, absl::StrCat("\n", pair().node(kDb1).port(), "\n")))
      << master_info;

  // The old datadir is the backup: renamed aside, journaled, with db2's own row.
  std::set<std::string> backups = Matching(NodeDir(kDb2), "data.mmresync-");
  ASSERT_EQ(backups.size(), backups_before.size() + 1);
  std::string backup;
  for (const auto& b : backups) {
    if (!backups_before.count(b)) backup = NodeDir(kDb2) + "/" + b;
  }
  EXPECT_TRUE(Exists(backup + "/shop/customers.ibd")) << backup;
  EXPECT_TRUE(Exists(backup + "/mysql-bin.index")) << backup;
  EXPECT_TRUE(Matching(NodeDir(kDb2), "data.mmresync-new-").empty());
  const std::string journal = ReadFile(cluster().journal_path());
  EXPECT_TRUE(absl::StrContains(journal, backup))
      << journal.substr(journal.size() > 4000 ? journal.size() - 4000 : 0);
  EXPECT_TRUE(absl::StrContains(journal, "physical"));

  // Both directions, checksums, a row written on each side arrives on the other.
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  ASSERT_OK(pair().Exec(kDb2, "INSERT INTO shop.after_break VALUES (900001, 'on db2')"));
  ASSERT_OK(pair().Exec(kDb1, "INSERT INTO shop.after_break VALUES (900002, 'on db1')"));
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        if (Value(kDb1, "SELECT v FROM shop.after_break WHERE id = 900001") == "on db2" &&
            Value(kDb2, "SELECT v FROM shop.after_break WHERE id = 900002") == "on db1") {
          return absl::OkStatus();
        }
        return absl::UnavailableError("rows not replicated yet");
      },
      kTimeout, absl::Milliseconds(100), "rows written after the recovery to replicate"));
  // The agent still logs in on the copy (this status needs its account).
  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
}

TEST_F(PhysicalTest, AgentAccountDefinedDifferentlyOnTheSourceIsRefusedBeforeAnyCopy) {
  ASSERT_OK(BreakDb2(910003));
  const std::string agent_user = pair().node(kDb1).agent_user();
  ASSERT_OK(pair().ExecAll(kDb1, {"SET SESSION sql_log_bin = 0",
                                  absl::StrCat("ALTER USER '", agent_user,
                                               "'@'localhost' WITH MAX_USER_CONNECTIONS 1000")}));
  CliResult r = Cli({"recover", "--source", "db1", "--method", "physical", "--yes"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_TRUE(absl::StrContains(r.output(), absl::StrCat("agent's account ", agent_user,
                                                         "@localhost is defined differently")))
      << r.Describe();
  // Nothing copied, nothing swapped: db2 runs its old data, fenced.
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910003"), "standby only");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_TRUE(Matching(NodeDir(kDb2), "data.mmresync-new-").empty());

  ASSERT_OK(pair().ExecAll(kDb1, {"SET SESSION sql_log_bin = 0",
                                  absl::StrCat("ALTER USER '", agent_user,
                                               "'@'localhost' WITH MAX_USER_CONNECTIONS 0")}));
  CliResult resumed =
      Cli({"recover", "--source", "db1", "--method", "physical", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910003"), "from master");
}

TEST_F(PhysicalTest, SourceAgentKilledMidStreamLeavesTheOldDatadirAndResumeCompletes) {
  // Enough data for the stream to last a moment.
  ASSERT_OK(pair().Exec(kDb1,
                        "CREATE TABLE IF NOT EXISTS shop.bulk (id INT PRIMARY KEY, "
                        "v LONGBLOB)"));
  // ~64 MiB: 10000 rows of 6.4 KB.
  ASSERT_OK(pair().Exec(kDb1,
                        "INSERT INTO shop.bulk SELECT seq, REPEAT(MD5(RAND()), 200) FROM "
                        "shop.seq_1_to_10000"));
  ASSERT_OK(pair().WaitInSync(kTimeout));
  ASSERT_OK(BreakDb2(910002));
  const std::string parent = NodeDir(kDb2);
  const std::set<std::string> backups_before = Matching(parent, "data.mmresync-");

  auto cli = CliProcess::Start({"--config", cluster().config_path(), "recover", "--source", "db1",
                                "--method", "physical", "--yes"});
  ASSERT_TRUE(cli.ok()) << cli.status();
  // Kill the source agent once the target is extracting the stream.
  absl::Status seen = WaitForOk(
      [&]() -> absl::Status {
        for (const auto& d : Matching(parent, "data.mmresync-new-")) {
          if (Exists(absl::StrCat(parent, "/", d, "/ibdata1"))) return absl::OkStatus();
        }
        return absl::UnavailableError("not extracting yet");
      },
      kTimeout, absl::Milliseconds(5), "the target to extract the stream");
  ASSERT_OK(seen);
  ASSERT_OK(cluster().agent(kDb1).Kill());
  auto result = (*cli)->Wait(absl::Seconds(300));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 1) << result->Describe();
  EXPECT_TRUE(absl::StrContains(result->output(), "--resume")) << result->Describe();

  // db2 still runs its OLD datadir, fenced; the half copy is gone.
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910002"), "standby only");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_TRUE(Matching(parent, "data.mmresync-new-").empty());
  EXPECT_EQ(Matching(parent, "data.mmresync-"), backups_before);

  ASSERT_OK(cluster().agent(kDb1).Restart());
  CliResult resumed =
      Cli({"recover", "--source", "db1", "--method", "physical", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910002"), "from master");
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// `status` shows a swap the target's agent has recorded and not finished (the import
// paused right after the datadir swap, mariadbd down), in text and JSON; the run then
// finishes and the record is gone from the state_dir, and `status` no longer shows it.
TEST_F(PhysicalTest, StatusShowsAnUnfinishedSwapAndTheFinishedRunRemovesItsRecord) {
  ASSERT_OK(BreakDb2(910005));
  const std::string record = cluster().agent(kDb2).state_dir() + "/physical-swap.pb";
  FaultPoints faults(absl::StrCat(cluster().base_dir(), "/faults-swap-pause"));
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "after_swap=pause"));
  auto cli = CliProcess::Start({"--config", cluster().config_path(), "recover", "--source", "db1",
                                "--method", "physical", "--yes"});
  ASSERT_TRUE(cli.ok()) << cli.status();
  ASSERT_OK(faults.WaitHit("after_swap", kTimeout));

  CliResult text = Cli({"status"});
  EXPECT_TRUE(absl::StrContains(text.out, "physical swap on db2 (run ")) << text.Describe();
  EXPECT_TRUE(absl::StrContains(text.out, "NOT FINISHED")) << text.Describe();
  EXPECT_TRUE(absl::StrContains(text.out, "restart this agent")) << text.Describe();
  CliResult json = Cli({"status", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, "\"physical_swap\":{")) << json.Describe();
  EXPECT_TRUE(absl::StrContains(json.out, "\"settled\":false")) << json.Describe();
  EXPECT_TRUE(Exists(record));

  ASSERT_OK(faults.Release("after_swap"));
  auto result = (*cli)->Wait(absl::Seconds(300));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->Describe();
  EXPECT_FALSE(Exists(record)) << "a finished run's swap record stays in the state_dir";
  CliResult after = Cli({"status", "--json"});
  EXPECT_FALSE(absl::StrContains(after.out, "physical_swap")) << after.Describe();
  // Unarmed again: later imports do not pause.
  ASSERT_OK(cluster().agent(kDb2).Stop());
  ASSERT_OK(cluster().agent(kDb2).Restart());
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// The target's agent killed right after the swap: restarted, it finishes the swap, and
// `status` says so and names the resume; the resumed run removes the settled record.
TEST_F(PhysicalTest, StatusShowsAFinishedSwapWaitingForTheResumeWhichRemovesIt) {
  ASSERT_OK(BreakDb2(910006));
  const std::string record = cluster().agent(kDb2).state_dir() + "/physical-swap.pb";
  FaultPoints faults(absl::StrCat(cluster().base_dir(), "/faults-swap-kill"));
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "after_swap=kill"));
  CliResult failed = Cli({"recover", "--source", "db1", "--method", "physical", "--yes"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  ASSERT_TRUE(faults.Hit("after_swap")) << failed.Describe();
  ASSERT_OK(cluster().agent(kDb2).Restart());
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        CliResult s = Cli({"status"});
        return absl::StrContains(s.out, "physical swap on db2 (run ")
                   ? absl::OkStatus()
                   : absl::UnavailableError(s.out);
      },
      kTimeout, absl::Milliseconds(200), "status to show db2's swap"));

  CliResult text = Cli({"status"});
  EXPECT_TRUE(absl::StrContains(text.out, "): finished")) << text.Describe();
  EXPECT_TRUE(absl::StrContains(text.out, "recover --resume` continues run")) << text.Describe();
  CliResult json = Cli({"status", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, "\"settled\":true")) << json.Describe();
  EXPECT_TRUE(Exists(record));

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_FALSE(Exists(record)) << "the resumed run's settled swap record stays in the state_dir";
  EXPECT_FALSE(absl::StrContains(Cli({"status"}).out, "physical swap on")) << "still shown";
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

TEST_F(PhysicalTest, PasswordsNeverInAgentLogsOrJournal) {
  std::string text = ReadFile(cluster().journal_path());
  for (int node : {kDb1, kDb2}) text += ReadFile(cluster().agent(node).log_path());
  ASSERT_FALSE(text.empty());
  EXPECT_TRUE(absl::StrContains(text, "--defaults-file="));  // mariadb-backup's argv is logged
  for (const std::string& secret : cluster().secrets()) {
    EXPECT_FALSE(absl::StrContains(text, secret)) << "a password appears in a log or the journal";
  }
}

// Not part of the regular run: MMRESYNC_PHYSICAL_BENCH_MB=300 loads that much into the
// pair and times --method logical against --method physical on the same data.
TEST_F(PhysicalTest, BenchLogicalAgainstPhysical) {
  const char* mb_env = std::getenv("MMRESYNC_PHYSICAL_BENCH_MB");
  if (mb_env == nullptr) GTEST_SKIP() << "set MMRESYNC_PHYSICAL_BENCH_MB to run";
  const int mb = std::atoi(mb_env);
  ASSERT_OK(pair().Exec(kDb1,
                        "CREATE TABLE IF NOT EXISTS shop.bench (id INT PRIMARY KEY, "
                        "v VARBINARY(1024), n BIGINT, KEY (n)) ENGINE=InnoDB"));
  // ~1 KiB rows, 10000 (~10 MiB) per statement.
  for (int i = 0; i < std::max(1, mb / 10); ++i) {
    ASSERT_OK(pair().Exec(
        kDb1, absl::StrCat("INSERT INTO shop.bench SELECT ", i * 10000,
                           " + seq, RANDOM_BYTES(1000), RAND() * 1e9 FROM shop.seq_1_to_10000")));
  }
  ASSERT_OK(pair().WaitInSync(absl::Seconds(900)));
  ASSERT_OK(pair().Exec(kDb1, "ANALYZE TABLE shop.bench"));
  std::printf("data on db1: %s rows in shop.bench, %s MB of user data\n",
              Value(kDb1, "SELECT COUNT(*) FROM shop.bench").c_str(),
              Value(kDb1,
                    "SELECT ROUND(SUM(DATA_LENGTH + INDEX_LENGTH) / 1048576) FROM "
                    "information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'")
                  .c_str());
  for (const char* method : {"logical", "physical", "logical", "physical"}) {
    const absl::Time start = absl::Now();
    CliResult r = Cli({"recover", "--source", "db1", "--method", method, "--yes", "--force"});
    const absl::Duration took = absl::Now() - start;
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    std::printf("BENCH recover --method %s: %s\n", method, absl::FormatDuration(took).c_str());
    ASSERT_OK(cluster().CheckHealthy(kTimeout));
  }
}

}  // namespace
}  // namespace mmresync::testing
