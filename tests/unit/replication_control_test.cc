#include "agent/replication_control.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSecret[] = "s3cr'et\\pw\"";

ChangeMasterTarget Good() {
  ChangeMasterTarget t;
  t.host = "10.0.0.1";
  t.port = 3306;
  t.user = "repl";
  t.password = kSecret;
  t.log_file = "mysql-bin.000042";
  t.log_pos = 1234;
  return t;
}

TEST(DescribeChangeMasterTest, MasksThePassword) {
  std::string text = DescribeChangeMaster(Good());
  EXPECT_EQ(
      text,
      "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_USER='repl', "
      "MASTER_PASSWORD='***', MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=1234, "
      "MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=5");
  EXPECT_THAT(text, Not(HasSubstr("s3cr")));
}

TEST(ValidateChangeMasterTest, GoodPasses) { EXPECT_TRUE(ValidateChangeMaster(Good()).ok()); }

// Each hostile field is refused before a single statement reaches the server.
TEST(ChangeMasterTest, HostileValuesRefusedBeforeAnyStatement) {
  struct Case {
    const char* what;
    ChangeMasterTarget target;
  };
  std::vector<Case> cases;
  auto with = [&](const char* what, auto mutate) {
    ChangeMasterTarget t = Good();
    mutate(t);
    cases.push_back({what, t});
  };
  with("host quote", [](ChangeMasterTarget& t) { t.host = "db1', MASTER_HOST='evil"; });
  with("host empty", [](ChangeMasterTarget& t) { t.host = ""; });
  with("host newline", [](ChangeMasterTarget& t) { t.host = "db1\nSTOP"; });
  with("host NUL", [](ChangeMasterTarget& t) { t.host = std::string("db1\0x", 5); });
  with("port 0", [](ChangeMasterTarget& t) { t.port = 0; });
  with("port 65536", [](ChangeMasterTarget& t) { t.port = 65536; });
  with("user quote", [](ChangeMasterTarget& t) { t.user = "repl'--"; });
  with("user empty", [](ChangeMasterTarget& t) { t.user = ""; });
  with("file traversal", [](ChangeMasterTarget& t) { t.log_file = "../../etc/passwd"; });
  with("file dotdot", [](ChangeMasterTarget& t) { t.log_file = ".."; });
  with("file quote", [](ChangeMasterTarget& t) { t.log_file = "bin.1', MASTER_HOST='x"; });
  with("file empty", [](ChangeMasterTarget& t) { t.log_file = ""; });
  with("pos 0", [](ChangeMasterTarget& t) { t.log_pos = 0; });
  with("pos 3", [](ChangeMasterTarget& t) { t.log_pos = 3; });
  with("pos > int64", [](ChangeMasterTarget& t) {
    t.log_pos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
  });
  for (const Case& c : cases) {
    FakeDbScript script;
    FakeDbSession session(&script);
    absl::Status s = ChangeMaster(session, c.target);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.what << ": " << s;
    EXPECT_THAT(script.statements(), IsEmpty()) << c.what;
    EXPECT_THAT(script.escaped(), IsEmpty()) << c.what;
  }
}

TEST(ChangeMasterTest, ExecutesStopThenChangeWithEscapedPassword) {
  FakeDbScript script;
  FakeDbSession session(&script);
  ASSERT_TRUE(ChangeMaster(session, Good()).ok());
  EXPECT_THAT(script.escaped(), ElementsAre(kSecret));
  EXPECT_THAT(
      script.statements(),
      ElementsAre("STOP SLAVE", "SET SESSION sql_log_off = 1", "SET SESSION log_slow_query = 0",
                  "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, "
                  "MASTER_USER='repl', MASTER_PASSWORD='s3cr\\'et\\\\pw\\\"', "
                  "MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=1234, "
                  "MASTER_USE_GTID=no, MASTER_CONNECT_RETRY=5",
                  "SET SESSION log_slow_query = DEFAULT", "SET SESSION sql_log_off = DEFAULT"));
}

// The password never reaches a server that would write it to its general log.
TEST(ChangeMasterTest, NoChangeWhenTheGeneralLogCannotBeSwitchedOff) {
  FakeDbScript script;
  script.Fail("SET SESSION sql_log_off = 1", absl::PermissionDeniedError("ERROR 1227"));
  FakeDbSession session(&script);
  absl::Status s = ChangeMaster(session, Good());
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("general log"));
  EXPECT_TRUE(script.StatementsStartingWith("CHANGE MASTER").empty());
}

// Servers before 10.11 call the slow log switch slow_query_log.
TEST(ChangeMasterTest, OlderSlowLogVariableIsUsed) {
  FakeDbScript script;
  script.Fail("SET SESSION log_slow_query = 0", absl::InvalidArgumentError("ERROR 1193"));
  FakeDbSession session(&script);
  ASSERT_TRUE(ChangeMaster(session, Good()).ok());
  EXPECT_LT(script.IndexOf("SET SESSION slow_query_log = 0"),
            script.IndexOfPrefix("CHANGE MASTER"));
  EXPECT_GT(script.IndexOf("SET SESSION slow_query_log = DEFAULT"),
            script.IndexOfPrefix("CHANGE MASTER"));
}

TEST(ChangeMasterTest, StopFailureStopsBeforeChange) {
  FakeDbScript script;
  script.Fail("STOP SLAVE", absl::InternalError("ERROR 1198"));
  FakeDbSession session(&script);
  EXPECT_FALSE(ChangeMaster(session, Good()).ok());
  EXPECT_THAT(script.statements(), ElementsAre("STOP SLAVE"));
}

TEST(ChangeMasterTest, ErrorDoesNotCarryThePasswordFromTheFake) {
  // The statement error from the server is returned as is; the message comes from the
  // session (which masks), never from the SQL text built here.
  FakeDbScript script;
  script.FailPrefix("CHANGE MASTER", absl::InternalError("ERROR 1200: bad"));
  FakeDbSession session(&script);
  absl::Status s = ChangeMaster(session, Good());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("s3cr")));
}

ChangeMasterTarget GoodGtid(const char* mode) {
  ChangeMasterTarget t = Good();
  t.log_file.clear();
  t.log_pos = 0;
  t.use_gtid = mode;
  t.gtid_slave_pos = "0-1-100,2-2-7";
  return t;
}

// A pair that replicated by GTID keeps doing so: gtid_slave_pos first (slave stopped),
// then MASTER_USE_GTID=<the recorded mode>, without file/position.
TEST(ChangeMasterTest, GtidModeSetsSlavePosThenUsesGtid) {
  for (const char* mode : {"slave_pos", "current_pos"}) {
    FakeDbScript script;
    FakeDbSession session(&script);
    ASSERT_TRUE(ChangeMaster(session, GoodGtid(mode)).ok()) << mode;
    EXPECT_THAT(
        script.statements(),
        ElementsAre("STOP SLAVE", "SET GLOBAL gtid_slave_pos = '0-1-100,2-2-7'",
                    "SET SESSION sql_log_off = 1", "SET SESSION log_slow_query = 0",
                    absl::StrCat("CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, "
                                 "MASTER_USER='repl', MASTER_PASSWORD='s3cr\\'et\\\\pw\\\"', "
                                 "MASTER_USE_GTID=",
                                 mode, ", MASTER_CONNECT_RETRY=5"),
                    "SET SESSION log_slow_query = DEFAULT", "SET SESSION sql_log_off = DEFAULT"))
        << mode;
    EXPECT_EQ(DescribeChangeMaster(GoodGtid(mode)),
              absl::StrCat("STOP SLAVE; SET GLOBAL gtid_slave_pos = '0-1-100,2-2-7'; "
                           "CHANGE MASTER TO "
                           "MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_USER='repl', "
                           "MASTER_PASSWORD='***', MASTER_USE_GTID=",
                           mode, ", MASTER_CONNECT_RETRY=5"));
  }
}

TEST(ChangeMasterTest, GtidSlavePosFailureStopsBeforeChange) {
  FakeDbScript script;
  script.FailPrefix("SET GLOBAL gtid_slave_pos", absl::InternalError("ERROR 1948: conflicts"));
  FakeDbSession session(&script);
  absl::Status s = ChangeMaster(session, GoodGtid("slave_pos"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("gtid_slave_pos"), HasSubstr("1948")));
  EXPECT_TRUE(script.StatementsStartingWith("CHANGE MASTER").empty());
}

TEST(ChangeMasterTest, HostileGtidValuesRefusedBeforeAnyStatement) {
  std::vector<std::pair<const char*, ChangeMasterTarget>> cases;
  auto with = [&](const char* what, auto mutate) {
    ChangeMasterTarget t = GoodGtid("slave_pos");
    mutate(t);
    cases.emplace_back(what, t);
  };
  with("gtid quote", [](ChangeMasterTarget& t) { t.gtid_slave_pos = "0-1-1'; DROP"; });
  with("gtid not a triple", [](ChangeMasterTarget& t) { t.gtid_slave_pos = "0-1"; });
  with("gtid empty", [](ChangeMasterTarget& t) { t.gtid_slave_pos = ""; });
  with("mode unknown", [](ChangeMasterTarget& t) { t.use_gtid = "slave_pos, MASTER_HOST='x'"; });
  with("gtid without mode", [](ChangeMasterTarget& t) {
    t.use_gtid = "no";
    t.log_file = "mysql-bin.000001";
    t.log_pos = 4;
  });
  for (const auto& [what, target] : cases) {
    FakeDbScript script;
    FakeDbSession session(&script);
    absl::Status s = ChangeMaster(session, target);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << what << ": " << s;
    EXPECT_THAT(script.statements(), IsEmpty()) << what;
  }
}

TEST(StopReplicaTest, StopAndOptionalResetNeverResetMaster) {
  {
    FakeDbScript script;
    FakeDbSession session(&script);
    ASSERT_TRUE(StopReplica(session, false).ok());
    EXPECT_THAT(script.statements(), ElementsAre("STOP SLAVE"));
  }
  {
    FakeDbScript script;
    FakeDbSession session(&script);
    ASSERT_TRUE(StopReplica(session, true).ok());
    EXPECT_THAT(script.statements(), ElementsAre("STOP SLAVE", "RESET SLAVE"));
  }
  {
    FakeDbScript script;
    script.Fail("STOP SLAVE", absl::InternalError("x"));
    FakeDbSession session(&script);
    EXPECT_FALSE(StopReplica(session, true).ok());
    EXPECT_THAT(script.statements(), ElementsAre("STOP SLAVE"));  // no RESET after a failed STOP
  }
}

TEST(StartReplicaTest, StartSlave) {
  FakeDbScript script;
  FakeDbSession session(&script);
  ASSERT_TRUE(StartReplica(session).ok());
  EXPECT_THAT(script.statements(), ElementsAre("START SLAVE"));
}

TEST(SetReadOnlyTest, OnAndOff) {
  FakeDbScript script;
  FakeDbSession session(&script);
  ASSERT_TRUE(SetReadOnly(session, true).ok());
  ASSERT_TRUE(SetReadOnly(session, false).ok());
  EXPECT_THAT(script.statements(),
              ElementsAre("SET GLOBAL read_only = ON", "SET GLOBAL read_only = OFF"));
}

// gtid_strict_mode: the position is raised, per domain, to the server's own newest GTIDs
// (its server_id's entries of @@gtid_binlog_state), read just before the SET; other
// servers' GTIDs are left to the requested position.
TEST(ChangeMasterNotBehindOwnBinlogTest, RaisesToOwnNewestGtids) {
  FakeDbScript script;
  script.OnQuery("SELECT @@GLOBAL.gtid_binlog_state, @@GLOBAL.server_id",
                 Rows({"s", "id"}, {{"0-1-150,0-3-999,2-2-5,2-1-9", "1"}}));
  FakeDbSession session(&script);
  absl::StatusOr<std::string> set = ChangeMasterNotBehindOwnBinlog(session, GoodGtid("slave_pos"));
  ASSERT_TRUE(set.ok()) << set.status();
  // Requested 0-1-100,2-2-7: domain 0 raised to its own 0-1-150 (another server's
  // 0-3-999 does not count), domain 2 to its own 2-1-9.
  EXPECT_EQ(*set, "0-1-150,2-1-9");
  EXPECT_GT(script.IndexOf("SET GLOBAL gtid_slave_pos = '0-1-150,2-1-9'"),
            script.IndexOf("SELECT @@GLOBAL.gtid_binlog_state, @@GLOBAL.server_id"));
  EXPECT_EQ(script.StatementsStartingWith("CHANGE MASTER").size(), 1u);
}

// A commit between the read and the SET makes the SET fail with 1947: read and set again,
// a bounded number of times, then the server's error.
TEST(ChangeMasterNotBehindOwnBinlogTest, RetriesTheStrictModeConflictBounded) {
  FakeDbScript script;
  script.OnQuery("SELECT @@GLOBAL.gtid_binlog_state, @@GLOBAL.server_id",
                 Rows({"s", "id"}, {{"0-1-150", "1"}}));
  script.FailPrefix("SET GLOBAL gtid_slave_pos",
                    absl::InternalError("x: ERROR 1947 (HY000): conflicts with the binary log"));
  FakeDbSession session(&script);
  absl::StatusOr<std::string> set = ChangeMasterNotBehindOwnBinlog(session, GoodGtid("slave_pos"));
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(std::string(set.status().message()), AllOf(HasSubstr("1947"), HasSubstr("attempts")));
  EXPECT_EQ(script.StatementsStartingWith("SET GLOBAL gtid_slave_pos").size(),
            static_cast<size_t>(kOwnBinlogAttempts));
  EXPECT_TRUE(script.StatementsStartingWith("CHANGE MASTER").empty());
}

TEST(ChangeMasterNotBehindOwnBinlogTest, OtherErrorsAreNotRetried) {
  FakeDbScript script;
  script.OnQuery("SELECT @@GLOBAL.gtid_binlog_state, @@GLOBAL.server_id",
                 Rows({"s", "id"}, {{"0-1-150", "1"}}));
  script.FailPrefix("SET GLOBAL gtid_slave_pos", absl::InternalError("x: ERROR 1948 (HY000): no"));
  FakeDbSession session(&script);
  EXPECT_FALSE(ChangeMasterNotBehindOwnBinlog(session, GoodGtid("slave_pos")).ok());
  EXPECT_EQ(script.StatementsStartingWith("SET GLOBAL gtid_slave_pos").size(), 1u);
}

}  // namespace
}  // namespace mmresync::agent
