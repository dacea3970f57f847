// Smoke test of the integration harness itself: a real master-master pair of mariadbd
// processes replicates both ways, can be broken the way production pairs break (a
// duplicate key on one side), and MariadbSession behaves as its contract says against a
// real server. One pair is shared by all cases of this binary (startup costs seconds).

#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/mariadb_session.h"
#include "gtest/gtest.h"
#include "tests/harness/mm_pair.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status assert_ok_status_ = (expr);          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (0)

constexpr absl::Duration kSyncTimeout = absl::Seconds(60);

class HarnessSmokeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pair = MasterMasterPair::Start();
    if (!pair.ok()) {
      *startup_error_ = pair.status();
      return;
    }
    absl::Status configured = (*pair)->ConfigureReplication();
    if (!configured.ok()) {
      *startup_error_ = configured;
      return;
    }
    pair_ = std::move(pair).value().release();
  }

  static void TearDownTestSuite() {
    delete pair_;  // stops both servers by PID, removes the directory
    pair_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(pair_, nullptr) << "pair did not start: " << *startup_error_; }

  MasterMasterPair& pair() { return *pair_; }

  static MasterMasterPair* pair_;
  static absl::Status* startup_error_;
};

MasterMasterPair* HarnessSmokeTest::pair_ = nullptr;
absl::Status* HarnessSmokeTest::startup_error_ = new absl::Status();

TEST_F(HarnessSmokeTest, BothNodesReplicateFromEachOther) {
  for (int node : {0, 1}) {
    auto healthy = pair().ReplicationHealthy(node);
    ASSERT_TRUE(healthy.ok()) << healthy.status();
    EXPECT_TRUE(*healthy) << pair().node(node).describe();
  }
  EXPECT_EQ(pair().QueryValue(0, "SELECT @@server_id").value_or("?"), "1");
  EXPECT_EQ(pair().QueryValue(1, "SELECT @@server_id").value_or("?"), "2");
  EXPECT_EQ(pair().QueryValue(1, "SELECT @@collation_server").value_or("?"), "utf8mb4_unicode_ci");
}

TEST_F(HarnessSmokeTest, WritesOnEitherNodeReachTheOther) {
  ASSERT_OK(pair().Exec(0, "CREATE DATABASE smoke_rw"));
  ASSERT_OK(pair().Exec(0,
                        "CREATE TABLE smoke_rw.t (id INT AUTO_INCREMENT PRIMARY KEY,"
                        " origin VARCHAR(16) NOT NULL) ENGINE=InnoDB"));
  ASSERT_OK(pair().Exec(0, "INSERT INTO smoke_rw.t (origin) VALUES ('node1'), ('node1')"));
  ASSERT_OK(pair().WaitInSync(kSyncTimeout));
  EXPECT_EQ(
      pair().QueryValue(1, "SELECT COUNT(*) FROM smoke_rw.t WHERE origin = 'node1'").value_or("?"),
      "2");

  ASSERT_OK(pair().Exec(1, "INSERT INTO smoke_rw.t (origin) VALUES ('node2')"));
  ASSERT_OK(pair().WaitInSync(kSyncTimeout));
  EXPECT_EQ(
      pair().QueryValue(0, "SELECT COUNT(*) FROM smoke_rw.t WHERE origin = 'node2'").value_or("?"),
      "1");
  // auto_increment offsets keep the two masters' keys apart: odd on node1, even on node2.
  EXPECT_EQ(pair()
                .QueryValue(0, "SELECT MAX(id) % 2 FROM smoke_rw.t WHERE origin = 'node2'")
                .value_or("?"),
            "0");

  auto sums0 = pair().TableChecksums(0);
  auto sums1 = pair().TableChecksums(1);
  ASSERT_TRUE(sums0.ok()) << sums0.status();
  ASSERT_TRUE(sums1.ok()) << sums1.status();
  EXPECT_EQ(*sums0, *sums1);
  ASSERT_EQ(sums0->count("smoke_rw.t"), 1u);
  EXPECT_TRUE(absl::EndsWith(sums0->at("smoke_rw.t"), "/3")) << sums0->at("smoke_rw.t");
}

TEST_F(HarnessSmokeTest, DuplicateKeyStopsTheReplicaSqlThread) {
  ASSERT_OK(pair().Exec(0, "CREATE DATABASE smoke_dup"));
  ASSERT_OK(pair().Exec(0, "CREATE TABLE smoke_dup.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB"));
  ASSERT_OK(pair().WaitInSync(kSyncTimeout));

  // A row only node2 has (not binlogged), then the same key written on node1.
  ASSERT_OK(
      pair().ExecAll(1, {"SET SESSION sql_log_bin=0", "INSERT INTO smoke_dup.t VALUES (100, 2)"}));
  ASSERT_OK(pair().Exec(0, "INSERT INTO smoke_dup.t VALUES (100, 1)"));

  std::map<std::string, std::string> status;
  ASSERT_OK(WaitUntil(
      [&] {
        auto s = pair().SlaveStatus(1);
        if (!s.ok()) return false;
        status = *s;
        return status["Slave_SQL_Running"] == "No";
      },
      kSyncTimeout, absl::Milliseconds(50), "node2's SQL thread to stop"));
  EXPECT_EQ(status["Last_SQL_Errno"], "1062") << status["Last_SQL_Error"];
  EXPECT_EQ(status["Slave_IO_Running"], "Yes");
  EXPECT_FALSE(pair().ReplicationHealthy(1).value_or(true));
  EXPECT_TRUE(pair().ReplicationHealthy(0).value_or(false));
  const absl::Status sync = pair().WaitInSync(absl::Seconds(5));
  EXPECT_EQ(sync.code(), absl::StatusCode::kFailedPrecondition) << sync;
  EXPECT_NE(sync.message().find("1062"), std::string::npos) << sync;

  // Repair so later cases (in any order) get a healthy pair: drop node2's stray row
  // unlogged and let the SQL thread re-apply node1's insert.
  ASSERT_OK(pair().ExecAll(
      1, {"SET SESSION sql_log_bin=0", "DELETE FROM smoke_dup.t WHERE id = 100", "START SLAVE"}));
  ASSERT_OK(pair().WaitInSync(kSyncTimeout));
  EXPECT_EQ(pair().QueryValue(1, "SELECT v FROM smoke_dup.t WHERE id = 100").value_or("?"), "1");
  EXPECT_TRUE(pair().ReplicationHealthy(1).value_or(false));
}

TEST_F(HarnessSmokeTest, AccountsAndPasswordFiles) {
  MariadbInstance& node = pair().node(0);
  for (const std::string& path : {node.agent_password_file(), node.repl_password_file()}) {
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  // The agent account works over the socket and over TCP on 127.0.0.1.
  auto over_socket = agent::MariadbSession::Connect(node.AgentParams());
  ASSERT_TRUE(over_socket.ok()) << over_socket.status();
  agent::DbConnectParams tcp = node.AgentParams();
  tcp.socket.clear();
  tcp.host = node.host();
  tcp.port = node.port();
  auto over_tcp = agent::MariadbSession::Connect(tcp);
  ASSERT_TRUE(over_tcp.ok()) << over_tcp.status();
  auto user = (*over_tcp)->Query("SELECT CURRENT_USER()");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->rows[0][0].value_or(""), "mmresync_agent@127.0.0.1");

  // A wrong password: UNAUTHENTICATED, errno in the message, the password nowhere.
  agent::DbConnectParams wrong = node.AgentParams();
  wrong.password = "not-the-Password-42";
  auto denied = agent::MariadbSession::Connect(wrong);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kUnauthenticated) << denied.status();
  EXPECT_NE(denied.status().message().find("ERROR 1045 (28000)"), std::string::npos)
      << denied.status();
  EXPECT_NE(denied.status().message().find(node.socket()), std::string::npos);
  EXPECT_EQ(denied.status().message().find(wrong.password), std::string::npos);

  // Nothing listens on a closed socket path: UNAVAILABLE.
  agent::DbConnectParams nowhere = node.RootParams();
  nowhere.socket = node.dir() + "/no.sock";
  auto unavailable = agent::MariadbSession::Connect(nowhere);
  EXPECT_EQ(unavailable.status().code(), absl::StatusCode::kUnavailable) << unavailable.status();
}

TEST_F(HarnessSmokeTest, SessionQueriesEscapesAndNeverReconnects) {
  auto session = pair().node(0).Connect();
  ASSERT_TRUE(session.ok()) << session.status();
  agent::MariadbSession& db = **session;

  auto result = db.Query("SELECT 1 AS One, NULL AS Nothing, 'x' AS Text");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->columns, (std::vector<std::string>{"One", "Nothing", "Text"}));
  EXPECT_EQ(result->ColumnIndex("nothing"), 1);
  EXPECT_EQ(result->Get(0, "one").value_or(""), "1");
  EXPECT_FALSE(result->Get(0, "Nothing").has_value());
  EXPECT_EQ(result->GetOr(0, "Missing", "fallback"), "fallback");

  const std::string tricky = "it's a \\ \"quoted\"\n\x1a value: \xE2\x9C\x93 \xF0\x9F\x90\xAC";
  auto echoed = db.Query(absl::StrCat("SELECT ", agent::QuoteString(db, tricky)));
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ(echoed->rows[0][0].value_or(""), tricky);

  const absl::Status syntax = db.Execute("SELEC 1");
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInternal);
  EXPECT_NE(syntax.message().find("ERROR 1064"), std::string::npos) << syntax;
  // A statement without rows through Query: empty result, no error.
  auto no_rows = db.Query("DO 1");
  ASSERT_TRUE(no_rows.ok()) << no_rows.status();
  EXPECT_TRUE(no_rows->columns.empty());

  // Kill this session from another: it must stay dead (no auto-reconnect).
  ASSERT_OK(pair().Exec(0, absl::StrCat("KILL CONNECTION ", db.connection_id())));
  const absl::Status lost = db.Execute("SELECT 1");
  EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
  const absl::Status still_lost = db.Execute("SELECT 1");
  EXPECT_EQ(still_lost.code(), absl::StatusCode::kUnavailable) << still_lost;
}

}  // namespace
}  // namespace mmresync::testing
