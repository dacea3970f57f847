// Mutual identity (issue 11, item 2) on real processes: the coordinator acts only on the
// agent its [[node]] entry names (certificate URI SAN of the connection it used, and the
// node name the agent answers with), refusing with exit 3 before anything is changed;
// an agent does not start with another node's certificate.

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/cert_authority.h"
#include "common/files.h"
#include "common/tls.h"
#include "coordinator/agent_client.h"
#include "gtest/gtest.h"
#include "mmresync/v1/agent.grpc.pb.h"
#include "tests/harness/agent_process.h"
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

// An endpoint that is not the agent it claims to be: answers GetStatus as `node`, counts
// every call that would change something.
class ImpostorAgent final : public v1::Agent::Service {
 public:
  explicit ImpostorAgent(std::string node) : node_(std::move(node)) {}
  grpc::Status GetStatus(grpc::ServerContext*, const v1::StatusRequest*,
                         v1::NodeStatus* reply) override {
    reply->set_node(node_);
    return grpc::Status::OK;
  }
#define MMR_COUNT(Rpc, Req, Rep)                                                \
  grpc::Status Rpc(grpc::ServerContext*, const v1::Req*, v1::Rep*) override {   \
    ++changes;                                                                  \
    return grpc::Status(grpc::StatusCode::INTERNAL, "impostor reached: " #Rpc); \
  }
  MMR_COUNT(AcquireLease, LeaseRequest, LeaseReply)
  MMR_COUNT(SetReadOnly, SetReadOnlyRequest, ActionReply)
  MMR_COUNT(ControlKeepalived, KeepalivedRequest, ActionReply)
  MMR_COUNT(StopReplica, StopReplicaRequest, ActionReply)
  MMR_COUNT(ChangeMaster, ChangeMasterRequest, ActionReply)
  MMR_COUNT(StartReplica, StartReplicaRequest, ActionReply)
#undef MMR_COUNT
  std::atomic<int> changes{0};

 private:
  std::string node_;
};

struct Impostor {
  std::unique_ptr<ImpostorAgent> service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
};

absl::StatusOr<Impostor> StartImpostor(const TlsFiles& tls, const std::string& answers_as) {
  auto creds = MakeServerCredentials(tls);
  if (!creds.ok()) return creds.status();
  Impostor impostor;
  impostor.service = std::make_unique<ImpostorAgent>(answers_as);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", *creds, &port);
  builder.RegisterService(impostor.service.get());
  impostor.server = builder.BuildAndStart();
  if (impostor.server == nullptr || port == 0) return absl::InternalError("impostor: no server");
  impostor.address = absl::StrCat("127.0.0.1:", port);
  return impostor;
}

class IdentityTest : public ::testing::Test {
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
    before_ = Snapshot();
  }
  // Whatever a refused run might have touched, on both real nodes.
  std::string Snapshot() {
    std::string out;
    for (int node : {kDb1, kDb2}) {
      auto& pair = cluster_->pair();
      auto ro = pair.QueryValue(node, "SELECT @@GLOBAL.read_only");
      auto master = pair.MasterStatus(node);
      auto slave = pair.SlaveStatus(node);
      absl::StrAppend(&out, "node", node + 1, " read_only=", ro.ok() ? *ro : "?",
                      " keepalived=", cluster_->keepalived_running(node), " binlog=",
                      master.ok() ? absl::StrCat(master->first, ":", master->second) : "?",
                      " io=", slave.ok() ? (*slave)["Slave_IO_Running"] : "?",
                      " sql=", slave.ok() ? (*slave)["Slave_SQL_Running"] : "?", "; ");
      auto stub = cluster_->agent(node).Stub();
      if (stub.ok()) {
        v1::NodeStatus status;
        v1::StatusRequest request;
        request.set_brief(true);
        (void)(*stub)->GetStatus(ContextWithDeadline().get(), request, &status);
        absl::StrAppend(&out, "lease=", status.lease_holder(), "; ");
      }
    }
    return out;
  }
  // cluster.toml with db1's and db2's `agent` addresses replaced by `db1_agent` and
  // `db2_agent`, written to <base>/<file>.
  static std::string ConfigWith(const std::string& file, const std::string& db1_agent,
                                const std::string& db2_agent) {
    const std::string a1 = cluster_->agent(kDb1).address();
    const std::string a2 = cluster_->agent(kDb2).address();
    std::string text = absl::StrReplaceAll(
        cluster_->cluster_toml(),
        {{absl::StrCat("\"", a1, "\""), "\"@DB1@\""}, {absl::StrCat("\"", a2, "\""), "\"@DB2@\""}});
    text = absl::StrReplaceAll(text, {{"@DB1@", db1_agent}, {"@DB2@", db2_agent}});
    const std::string path = absl::StrCat(cluster_->base_dir(), "/", file);
    EXPECT_TRUE(WriteFileAtomically(path, text, 0600).ok());
    return path;
  }
  // Every command with `config` exits 3, names the entry of `node`, and changes nothing.
  void ExpectRefusedEverywhere(const std::string& config, const std::string& node,
                               const std::string& why) {
    for (std::vector<std::string> args : {std::vector<std::string>{"status"},
                                          {"plan", "--source", "db2"},
                                          {"verify"},
                                          {"recover", "--source", "db1", "--yes", "--force"},
                                          {"recover", "--source", "db2", "--yes", "--force"}}) {
      std::vector<std::string> argv = {"--config", config};
      argv.insert(argv.end(), args.begin(), args.end());
      auto r = RunCli(argv);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->exit_code, 3) << args[0] << ": " << r->Describe();
      EXPECT_TRUE(absl::StrContains(r->err, config)) << r->Describe();
      EXPECT_TRUE(absl::StrContains(r->err, absl::StrCat("[[node]] name = \"", node, "\"")))
          << r->Describe();
      EXPECT_TRUE(absl::StrContains(r->err, why)) << r->Describe();
    }
    EXPECT_EQ(Snapshot(), before_) << "a refused command changed something";
  }

  static RecoveryCluster* cluster_;
  static absl::Status* startup_error_;
  std::string before_;
};

RecoveryCluster* IdentityTest::cluster_ = nullptr;
absl::Status* IdentityTest::startup_error_ = new absl::Status();

TEST_F(IdentityTest, SwappedAgentAddressesAreRefusedBeforeAnyChange) {
  const std::string config =
      ConfigWith("swapped.toml", cluster_->agent(kDb2).address(), cluster_->agent(kDb1).address());
  ExpectRefusedEverywhere(config, "db1", "certificate names agent db2");
  // The right file still works.
  auto ok = cluster_->Cli({"status"});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->exit_code, 0) << ok->Describe();
}

TEST_F(IdentityTest, CoordinatorCertificatePosingAsAgentIsRefused) {
  // From the cluster CA, with the coordinator role, but also serverAuth and the IP the
  // coordinator dials: TLS alone would accept it.
  const std::string dir = cluster_->certs().dir();
  IssueOptions o;
  o.ca_cert_path = dir + "/ca.pem";
  o.ca_key_path = dir + "/ca.key";
  o.cert_path = dir + "/posing.pem";
  o.key_path = dir + "/posing.key";
  o.role_uri = kCoordinatorUri;
  o.ip_addresses = {"127.0.0.1"};
  o.dns_names = {"localhost"};
  o.any_profile_for_tests = true;
  ASSERT_OK(IssueCertificate(o));
  auto impostor = StartImpostor({o.ca_cert_path, o.cert_path, o.key_path}, "db1");
  ASSERT_TRUE(impostor.ok()) << impostor.status();
  const std::string config =
      ConfigWith("posing.toml", impostor->address, cluster_->agent(kDb2).address());
  ExpectRefusedEverywhere(config, "db1", "coordinator's");
  EXPECT_EQ(impostor->service->changes.load(), 0);
  impostor->server->Shutdown();
}

TEST_F(IdentityTest, AgentAnsweringAsAnotherNodeIsRefused) {
  // The right certificate (db1's), but the process behind it says it is someone else.
  auto impostor = StartImpostor(cluster_->certs().Agent("db1"), "db9");
  ASSERT_TRUE(impostor.ok()) << impostor.status();
  const std::string config =
      ConfigWith("renamed.toml", impostor->address, cluster_->agent(kDb2).address());
  ExpectRefusedEverywhere(config, "db1", "answers as node \"db9\"");
  EXPECT_EQ(impostor->service->changes.load(), 0);
  impostor->server->Shutdown();
}

TEST_F(IdentityTest, AgentDoesNotStartWithAnotherNodesCertificate) {
  AgentOptions options = cluster_->agent(kDb1).options();
  options.dir = cluster_->base_dir() + "/wrong-cert-agent";
  options.port = 0;
  options.tls = cluster_->certs().Agent("db2");  // agent.name stays db1
  options.startup_timeout = absl::Seconds(20);
  auto agent = AgentProcess::Start(options);
  ASSERT_FALSE(agent.ok()) << "an agent named db1 started with db2's certificate";
  auto log = ReadFileToString(options.dir + "/agent.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(absl::StrContains(*log, "does not name this agent")) << *log;
  EXPECT_TRUE(absl::StrContains(*log, "urn:mmresync:agent:db2")) << *log;
}

// The identity gap between calls: the coordinator's client checked db1's agent, then its
// address is served by db2's agent (a restart on another host, a moved address). The next
// state-changing call is refused by db2's agent itself, before it acts: the call names the
// node it is meant for. Without that, db2 would take the lease and only the reply's
// certificate check would notice, after the fact.
TEST_F(IdentityTest, AReconnectToAnotherAgentBetweenCallsChangesNothingThere) {
  AgentProcess& db1 = cluster_->agent(kDb1);
  auto creds = MakeChannelCredentials(cluster_->certs().Coordinator());
  ASSERT_TRUE(creds.ok()) << creds.status();
  coordinator::AgentClient client(NodeEntry{"db1", db1.address(), "127.0.0.1", 3306}, *creds,
                                  "swap.toml", cluster_->certs().Coordinator());
  ASSERT_OK(client.VerifyIdentity());
  auto first = client.GetStatus(/*brief=*/true);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->node(), "db1");

  ASSERT_OK(db1.Stop());
  AgentOptions options = cluster_->agent(kDb2).options();
  options.dir = cluster_->base_dir() + "/db2-at-db1s-address";
  options.port = db1.port();
  auto swapped = AgentProcess::Start(options);
  ASSERT_TRUE(swapped.ok()) << swapped.status();

  // The channel reconnects on its own; until it has, a call fails as unreachable.
  absl::StatusOr<v1::LeaseReply> lease = absl::UnavailableError("not tried");
  for (absl::Time deadline = absl::Now() + absl::Seconds(30);
       absl::IsUnavailable(lease.status()) && absl::Now() < deadline;
       absl::SleepFor(absl::Milliseconds(200))) {
    lease = client.AcquireLease("swap-run", "test@host", 60);
  }
  EXPECT_TRUE(absl::IsPermissionDenied(lease.status())) << lease.status();
  EXPECT_TRUE(absl::StrContains(lease.status().message(), "certificate names agent db2"))
      << lease.status();
  auto stub = (*swapped)->Stub();
  ASSERT_TRUE(stub.ok()) << stub.status();
  v1::NodeStatus status;
  v1::StatusRequest brief;
  brief.set_brief(true);
  ASSERT_TRUE((*stub)->GetStatus(ContextWithDeadline().get(), brief, &status).ok());
  EXPECT_EQ(status.node(), "db2");
  EXPECT_EQ(status.lease_holder(), "") << "db2's agent acted on a call meant for db1";
  EXPECT_TRUE(absl::StrContains(ReadFileToString((*swapped)->log_path()).value_or(""),
                                "but the call was meant for node db1"));

  ASSERT_OK((*swapped)->Stop());
  swapped->reset();
  ASSERT_OK(db1.Restart());
}

}  // namespace
}  // namespace mmresync::testing
