// `mmresync backups list|restore|prune` on real processes: after a recover the target's
// backup is listed with its run id; restoring it on the (fenced) standby brings its old
// data back, table checksums equal, with nothing binlogged there or arriving on the
// master; the VIP holder is refused; prune removes the oldest backups and their parked
// schemas.

#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster_suite.h"

namespace mmresync::testing {
namespace {

class BackupsTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    StartCluster(options);
  }

  static std::string Position(int node) {
    auto p = pair().MasterStatus(node);
    return p.ok() ? absl::StrCat(p->first, ":", p->second) : p.status().ToString();
  }

  // A re-seed of db2 from db1 (park backup); returns its run id.
  static std::string RecoverDb2() {
    CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return cluster().LastJournalRunId();
  }

  struct CheckResult {
    int exit_code = -1;
    std::string text;
  };
  // `mmresync-agent --config <node's agent.toml> check`, as keepalived runs it.
  static CheckResult AgentCheck(int node) {
    auto r =
        RunCommand({MMRESYNC_AGENT_BIN, "--config", cluster().agent(node).config_path(), "check"},
                   absl::Seconds(60));
    if (!r.ok()) return {-1, r.status().ToString()};
    return {r->exit_code, r->stdout_text + r->stderr_text};
  }

  static int ParkedSchemas(int node) {
    return std::stoi(Value(node,
                           "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME "
                           "LIKE 'mmr\\_park\\_%'"));
  }
};

TEST_F(BackupsTest, RecoverBackupIsListedAndRestoresTheStandbysOldData) {
  // Data only db2 has (not binlogged): the re-seed replaces it, the backup keeps it.
  ASSERT_OK(pair().ExecAll(kDb2, {"SET SESSION sql_log_bin = 0", "CREATE DATABASE only_db2",
                                  "CREATE TABLE only_db2.t (id INT PRIMARY KEY, v VARCHAR(20))",
                                  "INSERT INTO only_db2.t VALUES (1, 'before'), (2, 'the run')"}));
  const std::map<std::string, std::string> before = Checksums(kDb2);
  ASSERT_TRUE(before.count("only_db2.t")) << "checksums name tables as schema.table";

  const std::string run = RecoverDb2();
  ASSERT_FALSE(run.empty());
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
                  "'only_db2'"),
            "0");

  CliResult list = Cli({"backups", "list", "--node", "db2"});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_TRUE(absl::StrContains(list.out, run)) << list.Describe();
  EXPECT_TRUE(absl::StrContains(list.out, "park")) << list.Describe();
  CliResult json = Cli({"backups", "list", "--node", "db2", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, absl::StrCat("{\"run\":\"", run, "\",\"kind\":\"park\"")))
      << json.Describe();

  const std::string db1_position = Position(kDb1);
  const std::string db2_position = Position(kDb2);
  CliResult restore = Cli({"backups", "restore", run, "--node", "db2", "--yes"});
  ASSERT_EQ(restore.exit_code, 0) << restore.Describe();
  EXPECT_TRUE(absl::StrContains(restore.out, "stays fenced")) << restore.Describe();

  const std::map<std::string, std::string> after = Checksums(kDb2);
  EXPECT_EQ(after, before);
  // Fenced, and nothing binlogged on db2 nor sent to db1.
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Position(kDb2), db2_position);
  EXPECT_EQ(Position(kDb1), db1_position);
  EXPECT_EQ(Value(kDb1,
                  "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
                  "'only_db2'"),
            "0");

  // The operator is told the state and the next command; the journal holds the restore.
  EXPECT_TRUE(absl::StrContains(restore.out, "next: mmresync recover")) << restore.Describe();
  EXPECT_TRUE(absl::StrContains(restore.out, "read_only=OFF, keepalived running"))
      << restore.Describe();
  const std::string restore_run = cluster().LastJournalRunId();
  EXPECT_TRUE(absl::StartsWith(restore_run, "restore-")) << restore_run;
  CliResult history = Cli({"history", "--json"});
  EXPECT_TRUE(absl::StrContains(history.out, absl::StrCat("\"run\":\"", restore_run, "\"")))
      << history.Describe();
  EXPECT_TRUE(absl::StrContains(history.out, "\"outcome\":\"left-fenced\"")) << history.Describe();
  // keepalived's check script keeps the VIP off the fenced node.
  CheckResult fenced = AgentCheck(kDb2);
  EXPECT_EQ(fenced.exit_code, 1) << fenced.text;
  EXPECT_TRUE(absl::StrContains(fenced.text, "fenced by mmresync run " + restore_run))
      << fenced.text;

  // The repair the restore names leaves the pair healthy and lifts the fence it left:
  // db2's settings from before the restore come back.
  RecoverDb2();
  EXPECT_EQ(Cli({"status"}).exit_code, 0);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
  CheckResult healthy = AgentCheck(kDb2);
  EXPECT_EQ(healthy.exit_code, 0) << healthy.text;
}

// `mmresync-agent check` (keepalived's vrrp_script) on the real mariadbd: a healthy node
// passes; a node whose replication stopped on an error, or a run fenced, fails, naming why.
TEST_F(BackupsTest, AgentCheckPassesOnlyOnAHealthyUnfencedNode) {
  CheckResult healthy = AgentCheck(kDb2);
  EXPECT_EQ(healthy.exit_code, 0) << healthy.text;
  EXPECT_TRUE(absl::StrContains(healthy.text, "ok: db2 may hold the VIP")) << healthy.text;

  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 930001));
  CheckResult broken = AgentCheck(kDb2);
  EXPECT_EQ(broken.exit_code, 1) << broken.text;
  EXPECT_TRUE(absl::StrContains(broken.text, "replication SQL thread")) << broken.text;
  EXPECT_TRUE(absl::StrContains(broken.text, "1062")) << broken.text;
  RecoverDb2();
  CheckResult repaired = AgentCheck(kDb2);
  EXPECT_EQ(repaired.exit_code, 0) << repaired.text;
}

TEST_F(BackupsTest, RestoreIsRefusedOnTheVipHolder) {
  ASSERT_OK(cluster().RestartAgentWithVip(kDb1, "127.0.0.1"));
  ASSERT_OK(cluster().RestartAgentWithVip(kDb2, "127.0.0.1"));
  auto cleanup = absl::MakeCleanup([&] {
    EXPECT_TRUE(cluster().RestartAgentWithVip(kDb1, "").ok());
    EXPECT_TRUE(cluster().RestartAgentWithVip(kDb2, "").ok());
  });
  const std::string run = cluster().LastJournalRunId();
  ASSERT_FALSE(run.empty());
  const std::string position = Position(kDb1);
  CliResult restore = Cli({"backups", "restore", run, "--node", "db1", "--yes"});
  EXPECT_EQ(restore.exit_code, 3) << restore.Describe();
  EXPECT_TRUE(absl::StrContains(restore.err, "db1 holds the VIP")) << restore.Describe();
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb1));
  EXPECT_EQ(Position(kDb1), position);
}

// Whatever a coordinator asks: the agent restores only on a fenced node, with the lease,
// and takes nothing but a valid run id.
TEST_F(BackupsTest, AgentRefusesRestoreUnlessFencedAndLeased) {
  auto stub = cluster().agent(kDb2).Stub(cluster().certs().Coordinator());
  ASSERT_TRUE(stub.ok()) << stub.status();
  const std::string run = cluster().LastJournalRunId();
  ASSERT_FALSE(run.empty());
  v1::RestoreBackupRequest req;
  req.set_run_id("bk-agent");
  req.set_backup_run_id(run);
  v1::ActionReply reply;
  grpc::Status no_lease = (*stub)->RestoreBackup(ContextWithDeadline().get(), req, &reply);
  EXPECT_EQ(no_lease.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << no_lease.error_message();

  v1::LeaseRequest lease;
  lease.set_run_id("bk-agent");
  lease.set_ttl_seconds(60);
  lease.set_holder("backups_test");
  *lease.mutable_instance() = TestInstance();
  v1::LeaseReply lease_reply;
  ASSERT_TRUE((*stub)->AcquireLease(ContextWithDeadline().get(), lease, &lease_reply).ok());
  auto release = absl::MakeCleanup(
      [&] { (void)(*stub)->ReleaseLease(ContextWithDeadline().get(), lease, &lease_reply); });
  // Serving (keepalived running, read_only OFF): refused, nothing changed.
  grpc::Status serving = (*stub)->RestoreBackup(ContextWithDeadline().get(), req, &reply);
  EXPECT_EQ(serving.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << serving.error_message();
  EXPECT_TRUE(absl::StrContains(serving.error_message(), "keepalived")) << serving.error_message();
  // A path instead of a run id.
  req.set_backup_run_id("../../etc/passwd");
  grpc::Status hostile = (*stub)->RestoreBackup(ContextWithDeadline().get(), req, &reply);
  EXPECT_EQ(hostile.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << hostile.error_message();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
}

// The backups a physical re-seed (the old datadir beside the datadir) and a delta repair
// (<state_dir>/backups/<run>.delta/) leave, laid out as those methods leave them: listed
// with their kind; a restore of the old datadir is refused with the reason and how to do
// it by hand, before anything is fenced. Prune leaves both alone.
TEST_F(BackupsTest, PhysicalAndDeltaBackupsAreListedAndAPhysicalRestoreRefusedBeforeAnyFence) {
  std::string datadir = Value(kDb2, "SELECT @@datadir");
  while (datadir.size() > 1 && datadir.back() == '/') datadir.pop_back();
  const std::string physical = datadir + ".mmresync-20261130T010000-0a0a0a";
  const std::string delta =
      cluster().agent(kDb2).backup_dir() + "/20261130T020000-0b0b0b.delta/1764464400000";
  ASSERT_OK(MakeDirs(physical + "/shop", 0700));
  ASSERT_OK(MakeDirs(delta, 0700));
  ASSERT_OK(WriteFileAtomically(delta + "/restore.sql", "-- delta restore\n", 0600));
  auto cleanup = absl::MakeCleanup([&] {
    (void)RunCommand({"rm", "-rf", physical,
                      cluster().agent(kDb2).backup_dir() + "/20261130T020000-0b0b0b.delta"},
                     absl::Seconds(30));
  });

  CliResult list = Cli({"backups", "list", "--node", "db2"});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  // The line of `run` in the list.
  auto line_of = [&](const std::string& run) -> std::string {
    for (absl::string_view line : absl::StrSplit(list.out, '\n')) {
      if (absl::StrContains(line, run)) return std::string(line);
    }
    return "";
  };
  EXPECT_TRUE(absl::StrContains(line_of("20261130T010000-0a0a0a"), "physical ")) << list.Describe();
  EXPECT_TRUE(absl::StrContains(line_of("20261130T010000-0a0a0a"), "old datadir"))
      << list.Describe();
  EXPECT_TRUE(absl::StrContains(line_of("20261130T020000-0b0b0b"), "delta ")) << list.Describe();
  // Restorable (DeltaTest.BackupsRestorePutsBackWhatADeltaRepairReplaced).
  EXPECT_FALSE(absl::StrContains(line_of("20261130T020000-0b0b0b"), "not restorable"))
      << list.Describe();
  CliResult json = Cli({"backups", "list", "--node", "db2", "--json"});
  EXPECT_TRUE(absl::StrContains(json.out, "\"run\":\"20261130T020000-0b0b0b\",\"kind\":\"delta\""))
      << json.Describe();

  const std::string position = Position(kDb2);
  const std::string last_run = cluster().LastJournalRunId();
  CliResult physical_restore =
      Cli({"backups", "restore", "20261130T010000-0a0a0a", "--node", "db2", "--yes"});
  EXPECT_EQ(physical_restore.exit_code, 3) << physical_restore.Describe();
  EXPECT_TRUE(absl::StrContains(physical_restore.err,
                                "is the old datadir " + physical + " of a physical re-seed"))
      << physical_restore.Describe();
  CliResult missing =
      Cli({"backups", "restore", "20261130T030000-0c0c0c", "--node", "db2", "--yes"});
  EXPECT_EQ(missing.exit_code, 3) << missing.Describe();
  EXPECT_TRUE(absl::StrContains(missing.err, "no backup of run 20261130T030000-0c0c0c on db2"))
      << missing.Describe();
  // Nothing was fenced or changed, and no run was journaled.
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Position(kDb2), position);
  EXPECT_EQ(cluster().LastJournalRunId(), last_run);

  CliResult prune = Cli({"backups", "prune", "--keep", "0", "--node", "db2"});
  EXPECT_EQ(prune.exit_code, 0) << prune.Describe();
  EXPECT_EQ(::access(physical.c_str(), F_OK), 0) << physical;
  EXPECT_EQ(::access((delta + "/restore.sql").c_str(), F_OK), 0) << delta;
}

TEST_F(BackupsTest, PruneRemovesTheOldest) {
  std::vector<std::string> runs;
  runs.push_back(RecoverDb2());
  runs.push_back(RecoverDb2());
  const int parked = ParkedSchemas(kDb2);
  ASSERT_GE(parked, 2);  // each run parked db2's user schemas

  CliResult prune = Cli({"backups", "prune", "--keep", "1", "--node", "db2"});
  EXPECT_EQ(prune.exit_code, 0) << prune.Describe();
  EXPECT_TRUE(absl::StrContains(prune.out, runs[0])) << prune.Describe();
  EXPECT_FALSE(absl::StrContains(prune.out, runs[1])) << prune.Describe();

  CliResult list = Cli({"backups", "list", "--node", "db2"});
  EXPECT_TRUE(absl::StrContains(list.out, "db2: 1 backup(s)")) << list.Describe();
  EXPECT_TRUE(absl::StrContains(list.out, runs[1])) << list.Describe();
  EXPECT_FALSE(absl::StrContains(list.out, runs[0])) << list.Describe();
  EXPECT_LT(ParkedSchemas(kDb2), parked);
  EXPECT_GT(ParkedSchemas(kDb2), 0);  // the kept run's
  EXPECT_EQ(Cli({"status"}).exit_code, 0);
}

// Retention: agents with backups_keep = 2 prune what is older than their two newest
// backups right after a run's new backup, and say so in the run's output.
class BackupRetentionTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.backups_keep = 2;
    StartCluster(options);
  }
};

TEST_F(BackupRetentionTest, ARunsNewBackupPrunesThoseBeyondTheNewestKept) {
  std::vector<std::string> runs;
  std::vector<std::string> outputs;
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 930001 + i));
    CliResult r = Cli({"recover", "--source", "db1", "--yes", "--force"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    runs.push_back(cluster().LastJournalRunId());
    outputs.push_back(r.output());
  }
  EXPECT_FALSE(absl::StrContains(outputs[1], "pruned")) << outputs[1];
  EXPECT_TRUE(absl::StrContains(outputs[2], absl::StrCat("pruned 1 older backup(s) "
                                                         "(agent.backups_keep = 2): ",
                                                         runs[0])))
      << outputs[2];
  CliResult list = Cli({"backups", "list", "--node", "db2"});
  EXPECT_TRUE(absl::StrContains(list.out, "db2: 2 backup(s)")) << list.Describe();
  EXPECT_FALSE(absl::StrContains(list.out, runs[0])) << list.Describe();
  EXPECT_TRUE(absl::StrContains(list.out, runs[1])) << list.Describe();
  EXPECT_TRUE(absl::StrContains(list.out, runs[2])) << list.Describe();
  ASSERT_OK(cluster().CheckHealthy(absl::Seconds(120)));
}

}  // namespace
}  // namespace mmresync::testing
