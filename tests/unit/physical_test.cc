// The physical method's pieces that need no server: [mariadb.service] parsing, the
// service controller (a mock runner), the backup's binlog info, mariadb-backup's log,
// which files of a copy are replica state, and the coordinator's method choice.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/backup_binlog_info.h"
#include "agent/mariadb_service_controller.h"
#include "agent/physical_import.h"
#include "agent/physical_source.h"
#include "common/config.h"
#include "common/files.h"
#include "coordinator/transfer_method.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/temp_dir.h"

namespace mmresync {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::StrictMock;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// ---------- [mariadb.service] ----------

constexpr char kAgentHead[] = R"([agent]
name = "db1"
listen = "0.0.0.0:7443"
state_dir = "/var/lib/mmresync"

[tls]
ca = "/etc/mmresync/ca.pem"
cert = "/etc/mmresync/db1.pem"
key = "/etc/mmresync/db1.key"

[mariadb]
socket = "/run/mysqld/mysqld.sock"
repl_password_file = "/etc/mmresync/repl-password"

[peer]
name = "db2"
mariadb_host = "10.0.0.2"
agent = "10.0.0.2:7443"
)";

absl::StatusOr<AgentConfig> ParseWithService(const std::string& service_table) {
  return ParseAgentConfig(absl::StrCat(kAgentHead, "\n", service_table),
                          "/etc/mmresync/agent.toml");
}

TEST(MariadbServiceConfigTest, AbsentMeansNone) {
  auto cfg = ParseAgentConfig(kAgentHead, "/etc/mmresync/agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->mariadb.service.control, "none");
  EXPECT_EQ(cfg->mariadb.service.service, "mariadb");
}

TEST(MariadbServiceConfigTest, SystemdAndCommand) {
  auto systemd =
      ParseWithService("[mariadb.service]\ncontrol = \"systemd\"\nservice = \"mariadb@a\"\n");
  ASSERT_TRUE(systemd.ok()) << systemd.status();
  EXPECT_EQ(systemd->mariadb.service.control, "systemd");
  EXPECT_EQ(systemd->mariadb.service.service, "mariadb@a");
  auto command = ParseWithService(
      "[mariadb.service]\ncontrol = \"command\"\nstart = \"/s start\"\nstop = \"/s stop\"\n"
      "status = \"/s status\"\n");
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->mariadb.service.start, "/s start");
  EXPECT_EQ(command->mariadb.service.stop, "/s stop");
  EXPECT_EQ(command->mariadb.service.status, "/s status");
}

TEST(MariadbServiceConfigTest, StrictErrorsNameFileLineAndKey) {
  EXPECT_EQ(Msg(ParseWithService("[mariadb.service]\ncontrol = \"init\"\n").status()),
            "/etc/mmresync/agent.toml:21: key \"mariadb.service.control\": \"init\" must be one "
            "of \"systemd\", \"command\", \"none\"");
  EXPECT_EQ(Msg(ParseWithService("[mariadb.service]\ncontrl = \"none\"\n").status()),
            "/etc/mmresync/agent.toml:21: unknown key \"mariadb.service.contrl\"");
  EXPECT_THAT(Msg(ParseWithService("[mariadb.service]\ncontrol = \"command\"\nstart = \"x\"\n"
                                   "stop = \"y\"\n")
                      .status()),
              HasSubstr("missing required key \"mariadb.service.status\" (needed when control = "
                        "\"command\")"));
  EXPECT_THAT(Msg(ParseWithService("[mariadb.service]\ncontrol = \"command\"\nstart = \"\"\n"
                                   "stop = \"y\"\nstatus = \"z\"\n")
                      .status()),
              HasSubstr("key \"mariadb.service.start\": must not be empty"));
  EXPECT_THAT(Msg(ParseWithService("[mariadb.service]\ncontrol = 1\n").status()),
              HasSubstr("key \"mariadb.service.control\": must be a string, not an integer"));
}

TEST(MariadbServiceConfigTest, ShippedExampleDocumentsIt) {
  auto cfg = LoadAgentConfig(std::string(MMRESYNC_SOURCE_DIR) + "/deploy/examples/agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->mariadb.service.control, "systemd");
  EXPECT_EQ(cfg->mariadb.service.service, "mariadb");
}

// ---------- the controller ----------

class MockCommandRunner : public agent::CommandRunner {
 public:
  MOCK_METHOD(absl::StatusOr<CommandResult>, Run,
              (const std::vector<std::string>& argv, absl::Duration timeout), (override));
};

absl::StatusOr<CommandResult> Exited(int code, std::string out = "", std::string err = "") {
  CommandResult result;
  result.exit_code = code;
  result.stdout_text = std::move(out);
  result.stderr_text = std::move(err);
  return result;
}

agent::MariadbServiceTiming NoSettle() {
  agent::MariadbServiceTiming timing;
  timing.settle = absl::ZeroDuration();
  timing.poll_interval = absl::Milliseconds(1);
  return timing;
}

MariadbServiceSettings Commands() {
  MariadbServiceSettings s;
  s.control = "command";
  s.start = "/svc start";
  s.stop = "/svc stop";
  s.status = "/svc status";
  return s;
}

const std::vector<std::string> kStatusArgv = {"/bin/sh", "-c", "/svc status"};
const std::vector<std::string> kStopArgv = {"/bin/sh", "-c", "/svc stop"};

TEST(MariadbServiceControllerTest, FactoryRefusesBadSettings) {
  MariadbServiceSettings bad = Commands();
  bad.status = " ";
  EXPECT_THAT(Msg(agent::MakeMariadbServiceController(bad, nullptr).status()),
              HasSubstr("mariadb.service.status is empty"));
  MariadbServiceSettings unit;
  unit.control = "systemd";
  unit.service = "-mariadb";
  EXPECT_THAT(Msg(agent::MakeMariadbServiceController(unit, nullptr).status()),
              HasSubstr("not a valid systemd unit name"));
}

TEST(MariadbServiceControllerTest, NoneNeverRunsAnythingAndRefusesStop) {
  StrictMock<MockCommandRunner> runner;  // any Run call fails the test
  MariadbServiceSettings none;
  auto c = agent::MakeMariadbServiceController(none, &runner);
  ASSERT_TRUE(c.ok());
  auto status = (*c)->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->managed);
  EXPECT_TRUE(absl::IsFailedPrecondition((*c)->Stop()));
  EXPECT_TRUE(absl::IsFailedPrecondition((*c)->Start()));
}

TEST(MariadbServiceControllerTest, StartPassesTheSwapOptionsThroughTheEnvironment) {
  StrictMock<MockCommandRunner> runner;
  auto c = agent::MakeMariadbServiceController(Commands(), &runner, NoSettle());
  ASSERT_TRUE(c.ok());
  InSequence seq;
  EXPECT_CALL(runner, Run(ElementsAre("/usr/bin/env",
                                      "MMRESYNC_MARIADBD_OPTIONS=--skip-slave-start "
                                      "--event-scheduler=OFF --read-only=ON",
                                      "/bin/sh", "-c", "/svc start"),
                          _))
      .WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(kStatusArgv, _)).WillOnce(Return(Exited(0, "running (pid 7)\n")));
  EXPECT_TRUE((*c)->Start().ok());
}

TEST(MariadbServiceControllerTest, StopThatExitsZeroButLeavesItRunningIsAnError) {
  StrictMock<MockCommandRunner> runner;
  auto c = agent::MakeMariadbServiceController(Commands(), &runner, NoSettle());
  ASSERT_TRUE(c.ok());
  InSequence seq;
  EXPECT_CALL(runner, Run(kStopArgv, _)).WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(kStatusArgv, _)).WillOnce(Return(Exited(0, "running (pid 7)\n")));
  absl::Status s = (*c)->Stop();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(Msg(s), HasSubstr("mariadb stop: \"/svc stop\" exited 0 but mariadbd is still "
                                "running"));
}

TEST(MariadbServiceControllerTest, FailedStopQuotesTheCommand) {
  StrictMock<MockCommandRunner> runner;
  auto c = agent::MakeMariadbServiceController(Commands(), &runner, NoSettle());
  ASSERT_TRUE(c.ok());
  EXPECT_CALL(runner, Run(kStopArgv, _)).WillOnce(Return(Exited(1, "", "Access denied\n")));
  EXPECT_EQ(Msg((*c)->Stop()), "mariadb stop: \"/svc stop\" exited 1: Access denied");
}

TEST(MariadbServiceControllerTest, BrokenStatusCommandIsAnErrorNotStopped) {
  StrictMock<MockCommandRunner> runner;
  auto c = agent::MakeMariadbServiceController(Commands(), &runner, NoSettle());
  ASSERT_TRUE(c.ok());
  EXPECT_CALL(runner, Run(kStatusArgv, _))
      .WillOnce(Return(Exited(127, "", "/svc: not found")))
      .WillOnce(Return(Exited(3, "stopped\n")));
  EXPECT_FALSE((*c)->Status().ok());
  auto stopped = (*c)->Status();
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(stopped->running);
  EXPECT_EQ(stopped->detail, "stopped");
}

TEST(MariadbServiceControllerTest, SystemdUsesTheUnit) {
  StrictMock<MockCommandRunner> runner;
  MariadbServiceSettings s;
  s.control = "systemd";
  s.service = "mariadb";
  auto c = agent::MakeMariadbServiceController(s, &runner, NoSettle());
  ASSERT_TRUE(c.ok());
  InSequence seq;
  EXPECT_CALL(runner, Run(ElementsAre("systemctl", "stop", "mariadb"), _))
      .WillOnce(Return(Exited(0)));
  EXPECT_CALL(runner, Run(ElementsAre("systemctl", "is-active", "mariadb"), _))
      .WillOnce(Return(Exited(3, "inactive\n")));
  EXPECT_TRUE((*c)->Stop().ok());
}

// ---------- xtrabackup_binlog_info ----------

TEST(BackupBinlogInfoTest, ParsesFilePositionAndGtid) {
  auto c = agent::ParseBackupBinlogInfo("mysql-bin.000001\t1009\t0-9-4\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->file(), "mysql-bin.000001");
  EXPECT_EQ(c->position(), 1009u);
  EXPECT_EQ(c->gtid(), "0-9-4");
  auto multi = agent::ParseBackupBinlogInfo("bin.000042\t4\t1-1-10,2-2-7");
  ASSERT_TRUE(multi.ok()) << multi.status();
  EXPECT_EQ(multi->gtid(), "1-1-10,2-2-7");
  auto no_gtid = agent::ParseBackupBinlogInfo("bin.000042\t123\n");
  ASSERT_TRUE(no_gtid.ok()) << no_gtid.status();
  EXPECT_EQ(no_gtid->gtid(), "");
}

TEST(BackupBinlogInfoTest, RejectsWhatCannotSeedAReplica) {
  for (const char* bad :
       {"", "\n", "mysql-bin.000001\n", "mysql-bin.000001\tx\t0-1-1", "../etc/passwd\t4",
        "mysql-bin.000001\t2", "a\t4\tnot-a-gtid", "a\t4\t0-1-1\nb\t5"}) {
    auto c = agent::ParseBackupBinlogInfo(bad);
    EXPECT_TRUE(absl::IsDataLoss(c.status())) << "\"" << bad << "\": " << c.status();
  }
}

TEST(BackupBinlogInfoTest, ReadsEitherFileNameNewerFirst) {
  testing_util::TempDir dir;
  EXPECT_TRUE(absl::IsFailedPrecondition(agent::ReadBackupBinlogInfo(dir.path()).status()));
  ASSERT_TRUE(
      WriteFileAtomically(dir.path() + "/xtrabackup_binlog_info", "old.000001\t10\t\n").ok());
  auto old = agent::ReadBackupBinlogInfo(dir.path());
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->file(), "old.000001");
  ASSERT_TRUE(
      WriteFileAtomically(dir.path() + "/mariadb_backup_binlog_info", "new.000002\t20\t0-1-2\n")
          .ok());
  auto both = agent::ReadBackupBinlogInfo(dir.path());
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->file(), "new.000002");
  EXPECT_EQ(both->position(), 20u);
}

// ---------- mariadb-backup's log ----------

TEST(BackupLogWatcherTest, CommitBlockAndCoordinatesFromPiecesOfTheLog) {
  agent::BackupLogWatcher w;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  w.Feed("[00] 2026-11-30 11:09:18 Finished BACKUP STAGE BLOCK_DDL\n[00] 2026-11-30 11:09:18 Sta",
         t0);
  w.Feed("rting BACKUP STAGE BLOCK_COMMIT\n", t0 + absl::Milliseconds(5));
  EXPECT_FALSE(w.commit_block().has_value());
  w.Feed("[00] 2026-11-30 11:09:19 Executing FLUSH NO_WRITE_TO_BINLOG ENGINE LOGS...\n",
         t0 + absl::Milliseconds(100));
  w.Feed("[00] 2026-11-30 11:09:19 Executing BACKUP STAGE END\n", t0 + absl::Milliseconds(305));
  w.Feed("[00] 2026-11-30 11:09:19 All tables unlocked\n", t0 + absl::Milliseconds(400));
  ASSERT_TRUE(w.commit_block().has_value());
  EXPECT_EQ(*w.commit_block(), absl::Milliseconds(300));
  w.Feed(
      "[00] 2026-11-30 11:09:19 MySQL binlog position: filename 'mysql-bin.000003', position "
      "'1009', GTID of the last change '0-9-4'\n[00] 2026-11-30 11:09:19 completed OK!\n",
      t0 + absl::Seconds(1));
  ASSERT_TRUE(w.coordinates().has_value());
  EXPECT_EQ(w.coordinates()->file(), "mysql-bin.000003");
  EXPECT_EQ(w.coordinates()->position(), 1009u);
  EXPECT_EQ(w.coordinates()->gtid(), "0-9-4");
  EXPECT_TRUE(w.completed_ok());
}

TEST(BackupLogWatcherTest, NoCompletionWithoutTheLine) {
  agent::BackupLogWatcher w;
  w.Feed("[00] 2026-11-30 11:09:19 Error: failed to read\n", absl::Now());
  EXPECT_FALSE(w.completed_ok());
  EXPECT_FALSE(w.commit_block().has_value());
}

TEST(BackupArgvTest, DefaultsFileFirstAndNoPassword) {
  auto argv =
      BackupArgv("mariadb-backup", "/s/client-defaults-1", 4, "/s/physical-x", "/var/lib/mysql/");
  EXPECT_THAT(argv,
              ElementsAre("mariadb-backup", "--defaults-file=/s/client-defaults-1", "--backup",
                          "--stream=mbstream", "--parallel=4", "--log-copy-interval=100",
                          "--target-dir=/s/physical-x", "--datadir=/var/lib/mysql/"));
}

// ---------- the copy's replica state ----------

TEST(ReplicaStateFileTest, SourceReplicaAndLogFilesAreNotCarried) {
  for (const char* name :
       {"master.info", "relay-log.info", "multi-master.info", "master-conn2.info",
        "relay-log-conn2.info", "relay-bin.000003", "relay-bin.index", "relay-bin-conn2.000001",
        "mysql-bin.000001", "mysql-bin.index"}) {
    EXPECT_TRUE(agent::IsReplicaStateFile(name, "relay-bin", "mysql-bin")) << name;
  }
  for (const char* name : {"ibdata1", "ib_logfile0", "aria_log_control", "xtrabackup_binlog_info",
                           "backup-my.cnf", "mysql", "shop", "relay", "masters.info"}) {
    EXPECT_FALSE(agent::IsReplicaStateFile(name, "relay-bin", "mysql-bin")) << name;
  }
  EXPECT_EQ(agent::PhysicalBackupDir("/var/lib/mysql/", "r1"), "/var/lib/mysql.mmresync-r1");
  EXPECT_EQ(agent::PhysicalNewDir("/var/lib/mysql", "r1"), "/var/lib/mysql.mmresync-new-r1");
}

// ---------- the coordinator's choice ----------

v1::NodeStatus Node(const std::string& name, const std::string& version, bool managed) {
  v1::NodeStatus s;
  s.set_node(name);
  s.set_version(version);
  s.mutable_mariadb_service()->set_control(managed ? "command" : "none");
  s.mutable_mariadb_service()->set_managed(managed);
  auto* schema = s.add_schemas();
  schema->set_name("shop");
  schema->set_bytes(100 << 20);
  s.set_datadir_free_bytes(10ull << 30);
  return s;
}

TEST(ChoosePhysicalTest, AcceptedWithServiceControlOnTheTarget) {
  auto c = coordinator::ChooseMethod("physical", Node("db1", "10.11.6-MariaDB", false),
                                     Node("db2", "10.11.9-MariaDB-log", true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->method, "physical");
  EXPECT_EQ(c->expected, "physical");
  // auto never picks it: it restarts the target's server.
  auto a = coordinator::ChooseMethod("auto", Node("db1", "10.11.6-MariaDB", true),
                                     Node("db2", "10.11.6-MariaDB", true));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->expected, "logical");
}

TEST(ChoosePhysicalTest, RefusedWithTheReason) {
  auto none = coordinator::ChooseMethod("physical", Node("db1", "10.11.6-MariaDB", true),
                                        Node("db2", "10.11.6-MariaDB", false));
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_THAT(Msg(none.status()), HasSubstr("db2 has no [mariadb.service] control"));
  auto versions = coordinator::ChooseMethod("physical", Node("db1", "10.6.16-MariaDB", true),
                                            Node("db2", "10.11.6-MariaDB", true));
  EXPECT_THAT(Msg(versions.status()), HasSubstr("same major.minor"));
  v1::NodeStatus encrypted = Node("db1", "10.11.6-MariaDB", true);
  encrypted.add_encryption("plugin file_key_management");
  auto enc = coordinator::ChooseMethod("physical", encrypted, Node("db2", "10.11.6-MariaDB", true));
  EXPECT_THAT(Msg(enc.status()), HasSubstr("file_key_management"));
  v1::NodeStatus small = Node("db2", "10.11.6-MariaDB", true);
  small.set_datadir_free_bytes(50 << 20);
  auto disk = coordinator::ChooseMethod("physical", Node("db1", "10.11.6-MariaDB", true), small);
  EXPECT_THAT(Msg(disk.status()), HasSubstr("MiB free beside its datadir"));
}

// Replication filters keep schemas local to each node; a physical copy would overwrite
// them. The target's agent refuses it itself, whatever the coordinator chose.
TEST(PhysicalFiltersTest, ATargetWithReplicationFiltersRefusesTheWholeDatadirCopy) {
  agent::fakes::FakeDbScript filtered;
  filtered.OnQuery(
      "SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'",
      agent::fakes::Rows({"Variable_name", "Value"},
                         {{"replicate_ignore_db", "localdb"}, {"replicate_do_db", ""}}));
  filtered.OnQuery("SHOW MASTER STATUS",
                   agent::fakes::Rows({"File", "Position"}, {{"bin.000001", "4"}}));
  agent::fakes::FakeDbSession with_filters(&filtered);
  absl::Status refused = agent::CheckNoReplicationFilters(with_filters);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("replicate_ignore_db=localdb"));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("use --method logical"));

  agent::fakes::FakeDbScript plain;
  plain.OnQuery("SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'",
                agent::fakes::Rows({"Variable_name", "Value"}, {{"replicate_do_db", ""}}));
  plain.OnQuery("SHOW MASTER STATUS",
                agent::fakes::Rows({"File", "Position"}, {{"bin.000001", "4"}}));
  agent::fakes::FakeDbSession without(&plain);
  EXPECT_TRUE(agent::CheckNoReplicationFilters(without).ok());
}

}  // namespace
}  // namespace mmresync
