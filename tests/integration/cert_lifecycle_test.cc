// Certificate lifecycle (issue 11, item 7) on real processes: `status` names every
// certificate in use that ends within 30 days (the coordinator's own file, and an agent's
// certificate as the agent presents it), with its date; fresh ones give no warning.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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
  static absl::StatusOr<TlsFiles> Issue(const std::string& name, const std::string& uri, int days,
                                        bool server) {
    const std::string dir = cluster().certs().dir();
    IssueOptions o;
    o.ca_cert_path = dir + "/ca.pem";
    o.ca_key_path = dir + "/ca.key";
    o.cert_path = absl::StrCat(dir, "/", name, ".pem");
    o.key_path = absl::StrCat(dir, "/", name, ".key");
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

}  // namespace
}  // namespace mmresync::testing
