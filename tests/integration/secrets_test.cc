// Secrets and processes on real agents and servers (issue 11, item 4): the replication
// password never reaches the server's general log, the agent's children inherit no
// descriptor (its database sockets included), and no client-defaults file (the admin
// password) survives a kill -9 and restart.

#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "tests/harness/recovery_cluster.h"

namespace mmresync::testing {
namespace {

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status assert_ok_status_ = (expr);          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (0)

constexpr int kDb1 = 0;
constexpr int kDb2 = 1;

class SecretsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    auto cluster = RecoveryCluster::Start(options);
    if (!cluster.ok()) {
      *startup_error_ = cluster.status();
      return;
    }
    cluster_ = cluster->release();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "cluster did not start: " << *startup_error_;
  }
  static RecoveryCluster& cluster() { return *cluster_; }

  static RecoveryCluster* cluster_;
  static absl::Status* startup_error_;
};

RecoveryCluster* SecretsTest::cluster_ = nullptr;
absl::Status* SecretsTest::startup_error_ = new absl::Status();

// Both CHANGE MASTERs of a recovery run with the general log on (turned on after the
// harness set replication up, so only what the agents ran is in it).
TEST_F(SecretsTest, ReplicationPasswordStaysOutOfTheGeneralLog) {
  std::string logs[2];
  for (int node : {kDb1, kDb2}) {
    logs[node] = absl::StrCat(cluster().pair().node(node).dir(), "/general-", node, ".log");
    ASSERT_OK(cluster().pair().Exec(
        node, absl::StrCat("SET GLOBAL general_log_file = '", logs[node], "'")));
    ASSERT_OK(cluster().pair().Exec(node, "SET GLOBAL general_log = ON"));
  }
  auto r = cluster().Cli({"recover", "--source", "db1", "--yes", "--force"});
  for (int node : {kDb1, kDb2}) {
    ASSERT_OK(cluster().pair().Exec(node, "SET GLOBAL general_log = OFF"));
  }
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->exit_code, 0) << r->Describe();
  ASSERT_OK(cluster().CheckHealthy());
  for (int node : {kDb1, kDb2}) {
    auto text = ReadFileToString(logs[node]);
    ASSERT_TRUE(text.ok()) << text.status();
    // The log is on: the agents' other statements are there.
    EXPECT_TRUE(absl::StrContains(*text, "STOP SLAVE")) << logs[node];
    EXPECT_FALSE(absl::StrContains(*text, "CHANGE MASTER")) << logs[node];
    for (const std::string& secret : cluster().secrets()) {
      EXPECT_FALSE(absl::StrContains(*text, secret)) << "a password is in " << logs[node];
    }
  }
}

// The keepalived status command (run through /bin/sh -c by the agent, which holds
// authenticated database connections and gRPC sockets) lists what it inherited.
TEST_F(SecretsTest, ChildrenInheritNoDescriptors) {
  AgentProcess& agent = cluster().agent(kDb2);
  const std::string listing = agent.dir() + "/child-fds.txt";
  const std::string original = agent.options().keepalived_status;
  ASSERT_OK(agent.Stop());
  agent.mutable_options().keepalived_status =
      absl::StrCat("ls -l /proc/self/fd > ", listing, "; ", original);
  ASSERT_OK(agent.Restart());
  // A full status opens database sessions first, then asks keepalived.
  auto r = cluster().Cli({"status"});
  ASSERT_OK(agent.Stop());
  agent.mutable_options().keepalived_status = original;
  ASSERT_OK(agent.Restart());
  ASSERT_TRUE(r.ok()) << r.status();
  auto text = ReadFileToString(listing);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_FALSE(absl::StrContains(*text, "socket:")) << *text;
  // 0, 1 (the listing), 2 and the directory `ls` reads; nothing numbered above.
  for (int fd = 4; fd < 64; ++fd) {
    EXPECT_FALSE(absl::StrContains(*text, absl::StrCat(" ", fd, " -> "))) << *text;
  }
}

TEST_F(SecretsTest, NoStaleSecretFileAfterKillAndRestart) {
  AgentProcess& agent = cluster().agent(kDb1);
  // What a child's defaults file looks like when the agent died while it ran.
  const std::string stale = agent.state_dir() + "/client-defaults-Qx7Zp2";
  ASSERT_OK(WriteFileAtomically(stale, "[client]\nuser=\"x\"\npassword=\"left-behind\"\n", 0600));
  ASSERT_OK(agent.Kill());
  ASSERT_OK(agent.Restart());
  EXPECT_NE(::access(stale.c_str(), F_OK), 0) << stale << " survived the restart";
  EXPECT_TRUE(absl::StrContains(agent.log_tail(), "client-defaults file(s) a previous run left"))
      << agent.log_tail();
}

}  // namespace
}  // namespace mmresync::testing
