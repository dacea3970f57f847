// Certificate lifecycle (issue 11, item 7) on real processes: `status` names every
// certificate in use that ends within 30 days (the coordinator's own file, and an agent's
// certificate as the agent presents it), with its date; fresh ones give no warning.

#include <sys/types.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/cert_authority.h"
#include "common/cert_info.h"
#include "common/files.h"
#include "common/tls.h"
#include "gtest/gtest.h"
#include "tests/harness/recovery_cluster.h"

namespace mmresync::testing {
namespace {

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status assert_ok_status_ = (expr);          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (0)

constexpr int kDb2 = 1;

class CertLifecycleTest : public ::testing::Test {
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

  // A certificate from the cluster CA for `uri`, valid `days`, at <certs>/<name>.pem/.key.
  // `name` may be an absolute path prefix instead.
  static absl::StatusOr<TlsFiles> Issue(const std::string& name, const std::string& uri, int days,
                                        bool server) {
    const std::string dir = cluster().certs().dir();
    const std::string prefix = name[0] == '/' ? name : absl::StrCat(dir, "/", name);
    IssueOptions o;
    o.ca_cert_path = dir + "/ca.pem";
    o.ca_key_path = dir + "/ca.key";
    o.cert_path = prefix + ".pem";
    o.key_path = prefix + ".key";
    o.role_uri = uri;
    o.days = days;
    o.overwrite_key = true;
    if (server) {
      o.ip_addresses = {"127.0.0.1"};
      o.dns_names = {"localhost"};
    }
    if (absl::Status s = IssueCertificate(o); !s.ok()) return s;
    return TlsFiles{o.ca_cert_path, o.cert_path, o.key_path};
  }
  static std::string EndDate(const std::string& cert) {
    auto facts = ReadCertificateFacts(cert);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.ok() ? absl::FormatTime("%Y-%m-%d", facts->not_after, absl::UTCTimeZone()) : "?";
  }

  static RecoveryCluster* cluster_;
  static absl::Status* startup_error_;
};

RecoveryCluster* CertLifecycleTest::cluster_ = nullptr;
absl::Status* CertLifecycleTest::startup_error_ = new absl::Status();

TEST_F(CertLifecycleTest, FreshCertificatesGiveNoWarning) {
  auto r = cluster().Cli({"status"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->Describe();
  EXPECT_FALSE(absl::StrContains(r->output(), "certificate")) << r->Describe();
}

TEST_F(CertLifecycleTest, CoordinatorCertificateEndingSoonIsNamed) {
  auto soon = Issue("coordinator-soon", kCoordinatorUri, 10, false);
  ASSERT_TRUE(soon.ok()) << soon.status();
  const TlsFiles normal = cluster().certs().Coordinator();
  const std::string config = cluster().base_dir() + "/soon.toml";
  ASSERT_OK(WriteFileAtomically(
      config,
      absl::StrReplaceAll(
          cluster().cluster_toml(),
          {{absl::StrCat("\"", normal.cert, "\""), absl::StrCat("\"", soon->cert, "\"")},
           {absl::StrCat("\"", normal.key, "\""), absl::StrCat("\"", soon->key, "\"")}}),
      0600));
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"--config", config, "status"};
    if (json) args.push_back("--json");
    auto r = RunCli(args);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << "a warning does not make the pair unhealthy: " << r->Describe();
    const std::string& where = json ? r->err : r->out;
    EXPECT_TRUE(absl::StrContains(
        where, absl::StrCat("WARNING: the coordinator's certificate ", soon->cert, " expires in ")))
        << r->Describe();
    EXPECT_TRUE(absl::StrContains(where, EndDate(soon->cert))) << r->Describe();
    EXPECT_FALSE(absl::StrContains(r->output(), "agent db")) << r->Describe();
  }
}

TEST_F(CertLifecycleTest, AgentCertificateEndingSoonIsNamedAsPresented) {
  AgentProcess& agent = cluster().agent(kDb2);
  auto soon = Issue("db2-soon", absl::StrCat(kAgentUriPrefix, "db2"), 5, true);
  ASSERT_TRUE(soon.ok()) << soon.status();
  const TlsFiles normal = agent.options().tls;
  ASSERT_OK(agent.Stop());
  agent.mutable_options().tls = *soon;
  ASSERT_OK(agent.Restart());
  auto r = cluster().Cli({"status"});
  ASSERT_OK(agent.Stop());
  agent.mutable_options().tls = normal;
  ASSERT_OK(agent.Restart());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->Describe();
  EXPECT_TRUE(
      absl::StrContains(r->out, absl::StrCat("WARNING: agent db2's certificate (as presented at ",
                                             agent.address(), ") expires in ")))
      << r->Describe();
  EXPECT_TRUE(absl::StrContains(r->out, EndDate(soon->cert))) << r->Describe();
  EXPECT_FALSE(absl::StrContains(r->out, "agent db1's certificate")) << r->Describe();
}

// A renewed certificate written over the agent's files is served to new connections
// without a restart (agent.tls_reload_seconds).
TEST_F(CertLifecycleTest, AgentServesARenewedCertificateWithoutRestart) {
  AgentProcess& agent = cluster().agent(kDb2);
  const AgentOptions original = agent.options();
  const std::string prefix = agent.dir() + "/own-db2";
  const std::string uri = absl::StrCat(kAgentUriPrefix, "db2");
  auto own = Issue(prefix, uri, 365, true);
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_OK(agent.Stop());
  agent.mutable_options().tls = *own;
  agent.mutable_options().tls_reload_seconds = 1;
  ASSERT_OK(agent.Restart());
  const pid_t pid = agent.pid();
  const std::string warning = "WARNING: agent db2's certificate";
  auto before = cluster().Cli({"status"});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_FALSE(absl::StrContains(before->out, warning)) << before->Describe();

  auto renewed = Issue(prefix, uri, 5, true);  // same files, a different certificate
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  bool seen = false;
  std::string last;
  for (absl::Time deadline = absl::Now() + absl::Seconds(30); !seen && absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(500))) {
    auto r = cluster().Cli({"status"});
    ASSERT_TRUE(r.ok()) << r.status();
    last = r->Describe();
    seen = r->exit_code == 0 && absl::StrContains(r->out, warning) &&
           absl::StrContains(r->out, EndDate(renewed->cert));
  }
  EXPECT_TRUE(seen) << "the agent still presents its old certificate: " << last;
  EXPECT_TRUE(agent.running());
  EXPECT_EQ(agent.pid(), pid) << "the agent restarted";

  ASSERT_OK(agent.Stop());
  agent.mutable_options() = original;
  ASSERT_OK(agent.Restart());
}

// The agent's outbound side: the target agent presents the certificate in its [tls] files
// as they are at each transfer. A certificate naming another agent written over db2's
// files makes db1 refuse db2's next transfer (with the certificate read once at start it
// would go through); the renewed db2 certificate written back is used by the resumed run,
// all without restarting db2. db2's server side keeps its certificate meanwhile
// (tls_reload_seconds is long), so only the peer client can have read the files.
TEST_F(CertLifecycleTest, AgentPresentsItsCurrentCertificateFilesToItsPeerPerTransfer) {
  AgentProcess& agent = cluster().agent(kDb2);
  const AgentOptions original = agent.options();
  const std::string prefix = agent.dir() + "/peer-db2";
  const std::string uri = absl::StrCat(kAgentUriPrefix, "db2");
  auto own = Issue(prefix, uri, 365, true);
  ASSERT_TRUE(own.ok()) << own.status();
  ASSERT_OK(agent.Stop());
  agent.mutable_options().tls = *own;
  agent.mutable_options().tls_reload_seconds = 3600;
  ASSERT_OK(agent.Restart());
  const pid_t pid = agent.pid();

  ASSERT_TRUE(Issue(prefix, absl::StrCat(kAgentUriPrefix, "db9"), 365, true).ok());
  auto refused = cluster().Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 1) << refused->Describe();
  EXPECT_TRUE(absl::StrContains(refused->output(), "stream")) << refused->Describe();
  EXPECT_TRUE(absl::StrContains(refused->output(), "db9")) << refused->Describe();

  ASSERT_TRUE(Issue(prefix, uri, 365, true).ok());
  auto resumed = cluster().Cli({"recover", "--resume", "--yes"});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->exit_code, 0) << resumed->Describe();
  EXPECT_EQ(agent.pid(), pid) << "the agent restarted";

  ASSERT_OK(agent.Stop());
  agent.mutable_options() = original;
  ASSERT_OK(agent.Restart());
}

}  // namespace
}  // namespace mmresync::testing
