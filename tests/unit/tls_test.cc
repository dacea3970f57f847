// Mutual TLS and roles end to end: certificates made by common/cert_authority, a real
// gRPC server on 127.0.0.1 with MakeServerCredentials, real clients with
// MakeChannelCredentials/MakeChannel.

#include "common/tls.h"

#include <grpcpp/grpcpp.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cert_authority.h"
#include "coordinator/certs_command.h"
#include "gtest/gtest.h"
#include "mmresync/v1/agent.grpc.pb.h"

namespace mmresync {
namespace {

constexpr auto kCallTimeout = std::chrono::seconds(5);

std::string RoleText(const PeerRole& role) {
  return role.kind == PeerRole::Kind::kCoordinator ? "coordinator"
                                                   : absl::StrCat("agent:", role.node);
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// GetStatus answers with the caller's role in NodeStatus.node, and `padding_bytes`
// of filler in NodeStatus.version.
class RoleEchoService final : public v1::Agent::Service {
 public:
  explicit RoleEchoService(size_t padding_bytes = 0) : padding_bytes_(padding_bytes) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::StatusRequest*,
                         v1::NodeStatus* reply) override {
    auto role = PeerRoleOf(*context);
    if (!role.ok()) return ToGrpc(role.status());
    reply->set_node(RoleText(*role));
    reply->set_version(std::string(padding_bytes_, 'x'));
    return grpc::Status::OK;
  }

 private:
  const size_t padding_bytes_;
};

// The same with the callback API, for the CallbackServerContext overload.
class CallbackRoleEchoService final : public v1::Agent::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::StatusRequest*, v1::NodeStatus* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto role = PeerRoleOf(*context);
    if (!role.ok()) {
      reactor->Finish(ToGrpc(role.status()));
    } else {
      reply->set_node(RoleText(*role));
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }
};

struct TestServer {
  std::unique_ptr<grpc::Service> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  ~TestServer() {
    if (server) server->Shutdown(std::chrono::system_clock::now() + kCallTimeout);
  }
};

std::unique_ptr<TestServer> StartServer(const TlsFiles& files, bool callback_api = false,
                                        size_t padding_bytes = 0) {
  auto creds = MakeServerCredentials(files);
  EXPECT_TRUE(creds.ok()) << creds.status();
  if (!creds.ok()) return nullptr;
  auto result = std::make_unique<TestServer>();
  if (callback_api) {
    result->service = std::make_unique<CallbackRoleEchoService>();
  } else {
    result->service = std::make_unique<RoleEchoService>(padding_bytes);
  }
  grpc::ServerBuilder builder;
  ApplyServerSettings(builder);
  builder.AddListeningPort("127.0.0.1:0", *creds, &result->port);
  builder.RegisterService(result->service.get());
  result->server = builder.BuildAndStart();
  EXPECT_NE(result->server, nullptr);
  EXPECT_GT(result->port, 0);
  if (result->server == nullptr || result->port <= 0) return nullptr;
  return result;
}

struct CallResult {
  grpc::Status status;
  std::string node;
  absl::StatusOr<PeerRole> server_role = absl::UnknownError("not set");
};

CallResult CallGetStatus(const std::string& target,
                         std::shared_ptr<grpc::ChannelCredentials> creds) {
  CallResult result;
  auto stub = v1::Agent::NewStub(MakeChannel(target, std::move(creds)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  v1::StatusRequest request;
  v1::NodeStatus reply;
  result.status = stub->GetStatus(&context, request, &reply);
  result.node = reply.node();
  result.server_role = ServerRoleOf(context);
  return result;
}

CallResult CallGetStatus(const std::string& target, const TlsFiles& client_files) {
  auto creds = MakeChannelCredentials(client_files);
  EXPECT_TRUE(creds.ok()) << creds.status();
  if (!creds.ok()) {
    CallResult result;
    result.status = grpc::Status(grpc::StatusCode::INTERNAL, "no credentials");
    return result;
  }
  return CallGetStatus(target, *creds);
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/mmresync_tls_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    const std::string& d = *dir_;

    ASSERT_TRUE(CreateCa(d + "/ca.pem", d + "/ca.key", "test CA", 30).ok());
    ASSERT_TRUE(CreateCa(d + "/other_ca.pem", d + "/other_ca.key", "other CA", 30).ok());

    IssueOptions coordinator = Issue("ca", "coordinator", kCoordinatorUri);
    ASSERT_TRUE(IssueCertificate(coordinator).ok());

    IssueOptions agent = Issue("ca", "db1", absl::StrCat(kAgentUriPrefix, "db1"));
    agent.dns_names = {"localhost"};
    agent.ip_addresses = {"127.0.0.1"};
    ASSERT_TRUE(IssueCertificate(agent).ok());

    // Same role and SANs, but from another CA.
    IssueOptions foreign = Issue("other_ca", "foreign", kCoordinatorUri);
    foreign.dns_names = {"localhost"};
    foreign.ip_addresses = {"127.0.0.1"};
    foreign.any_profile_for_tests = true;  // it also serves, in one case
    ASSERT_TRUE(IssueCertificate(foreign).ok());

    IssueOptions expired = Issue("ca", "expired", kCoordinatorUri);
    expired.days = 1;
    expired.not_before_offset_days = -10;
    ASSERT_TRUE(IssueCertificate(expired).ok());

    // A valid agent certificate whose SANs do not cover 127.0.0.1.
    IssueOptions misnamed = Issue("ca", "misnamed", absl::StrCat(kAgentUriPrefix, "db2"));
    misnamed.dns_names = {"db2.example.invalid"};
    ASSERT_TRUE(IssueCertificate(misnamed).ok());
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  static IssueOptions Issue(const std::string& ca, const std::string& out, const std::string& uri) {
    IssueOptions o;
    o.ca_cert_path = Path(ca + ".pem");
    o.ca_key_path = Path(ca + ".key");
    o.cert_path = Path(out + ".pem");
    o.key_path = Path(out + ".key");
    o.role_uri = uri;
    o.days = 30;
    return o;
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  // `ca` is the CA this party trusts, `who` the prefix of its certificate and key.
  static TlsFiles Files(const std::string& who, const std::string& ca = "ca") {
    return TlsFiles{Path(ca + ".pem"), Path(who + ".pem"), Path(who + ".key")};
  }

  static std::string* dir_;
};

std::string* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, CoordinatorCertificateGivesCoordinatorRole) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("coordinator"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << ": " << r.status.error_message();
  EXPECT_EQ(r.node, "coordinator");
}

TEST_F(TlsTest, AgentCertificateGivesAgentRoleWithName) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("db1"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << ": " << r.status.error_message();
  EXPECT_EQ(r.node, "agent:db1");
}

TEST_F(TlsTest, ClientSeesServerRole) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("coordinator"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_TRUE(r.server_role.ok()) << r.server_role.status();
  EXPECT_EQ(r.server_role->kind, PeerRole::Kind::kAgent);
  EXPECT_EQ(r.server_role->node, "db1");
}

TEST_F(TlsTest, DnsSanMatchesTarget) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("localhost:", server->port), Files("coordinator"));
  // localhost may resolve to ::1 first, where nothing listens; gRPC tries every address.
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << ": " << r.status.error_message();
  EXPECT_EQ(r.node, "coordinator");
}

TEST_F(TlsTest, CallbackServerContextOverload) {
  auto server = StartServer(Files("db1"), /*callback_api=*/true);
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("db1"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << ": " << r.status.error_message();
  EXPECT_EQ(r.node, "agent:db1");
}

TEST_F(TlsTest, ClientCertificateFromAnotherCaIsRejected) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  // The client trusts our CA (so the server is fine) but presents a foreign cert.
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("foreign", "ca"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
  EXPECT_EQ(r.node, "");
}

TEST_F(TlsTest, ClientWithoutCertificateIsRejected) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  std::ifstream in(Path("ca.pem"));
  std::string ca((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca;  // trusts the server, presents nothing
  CallResult r =
      CallGetStatus(absl::StrCat("127.0.0.1:", server->port), grpc::SslCredentials(options));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
  EXPECT_EQ(r.node, "");
}

TEST_F(TlsTest, RepliesUpToEightMebibytesAreAccepted) {
  // gRPC's default limit is 4 MiB; MakeChannel raises it to kMaxMessageBytes.
  auto server = StartServer(Files("db1"), /*callback_api=*/false, 6 * 1024 * 1024);
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("coordinator"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << ": " << r.status.error_message();
  EXPECT_EQ(r.node, "coordinator");
}

TEST_F(TlsTest, ExpiredClientCertificateIsRejected) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("expired"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
  EXPECT_EQ(r.node, "");
}

TEST_F(TlsTest, ClientTrustingAnotherCaRejectsServer) {
  auto server = StartServer(Files("db1"));
  ASSERT_NE(server, nullptr);
  CallResult r =
      CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("coordinator", "other_ca"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
}

TEST_F(TlsTest, ServerCertificateNotNamingTargetIsRejected) {
  auto server = StartServer(Files("misnamed"));
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), Files("coordinator"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
}

TEST_F(TlsTest, CredentialErrorsNameTheFile) {
  TlsFiles missing = Files("coordinator");
  missing.key = Path("nonexistent.key");
  auto creds = MakeChannelCredentials(missing);
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find(missing.key), std::string::npos) << creds.status();

  TlsFiles mismatched = Files("coordinator");
  mismatched.key = Path("db1.key");
  auto server_creds = MakeServerCredentials(mismatched);
  ASSERT_FALSE(server_creds.ok());
  EXPECT_NE(server_creds.status().message().find(mismatched.key), std::string::npos)
      << server_creds.status();

  TlsFiles not_pem = Files("coordinator");
  not_pem.ca = Path("coordinator.key");  // a key where a certificate belongs
  auto bad_ca = MakeServerCredentials(not_pem);
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_NE(bad_ca.status().message().find(not_pem.ca), std::string::npos) << bad_ca.status();
}

TEST_F(TlsTest, KeyFilesArePrivate) {
  struct stat st;
  ASSERT_EQ(stat(Path("ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(stat(Path("db1.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  ASSERT_EQ(stat(Path("db1.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644);
}

TEST_F(TlsTest, CreateCaRefusesToReplaceKey) {
  absl::Status status = CreateCa(Path("ca2.pem"), Path("ca.key"), "again", 30);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_FALSE(std::filesystem::exists(Path("ca2.pem")));
}

TEST_F(TlsTest, IssueRejectsBadInput) {
  IssueOptions bad_uri = Issue("ca", "x", "urn:mmresync:admin");
  EXPECT_EQ(IssueCertificate(bad_uri).code(), absl::StatusCode::kInvalidArgument);
  IssueOptions bad_dns = Issue("ca", "x", absl::StrCat(kAgentUriPrefix, "x"));
  bad_dns.dns_names = {"bad,name"};
  EXPECT_EQ(IssueCertificate(bad_dns).code(), absl::StatusCode::kInvalidArgument);
  IssueOptions bad_ip = Issue("ca", "x", absl::StrCat(kAgentUriPrefix, "x"));
  bad_ip.ip_addresses = {"300.1.1.1"};
  EXPECT_EQ(IssueCertificate(bad_ip).code(), absl::StatusCode::kInvalidArgument);
  IssueOptions wrong_ca_key = Issue("ca", "x", kCoordinatorUri);
  wrong_ca_key.ca_key_path = Path("other_ca.key");
  EXPECT_EQ(IssueCertificate(wrong_ca_key).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(Path("x.key")));
}

TEST_F(TlsTest, CertsCommands) {
  const std::string dir = Path("cli");
  EXPECT_EQ(coordinator::RunCertsInit(dir, 30), 0);
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  EXPECT_EQ(coordinator::RunCertsInit(dir, 30), 1);  // never replaces a CA key

  EXPECT_EQ(coordinator::RunCertsIssue(dir, "agent", "db1", {"127.0.0.1", "localhost"}, "", 30), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/db1.pem"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/db1.key"));
  EXPECT_EQ(coordinator::RunCertsIssue(dir, "coordinator", "", {}, "", 30), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/coordinator.pem"));
  EXPECT_EQ(coordinator::RunCertsIssue(dir, "coordinator", "", {}, dir + "/c2", 30), 0);
  EXPECT_TRUE(std::filesystem::exists(dir + "/c2.key"));

  EXPECT_EQ(coordinator::RunCertsIssue(dir, "admin", "x", {}, "", 30), 2);
  EXPECT_EQ(coordinator::RunCertsIssue(dir, "agent", "bad/name", {"h"}, "", 30), 2);
  EXPECT_EQ(coordinator::RunCertsIssue(dir, "agent", "db2", {}, "", 30), 2);
  EXPECT_EQ(coordinator::RunCertsIssue(Path("no_such_dir"), "agent", "db2", {"h"}, "", 30), 2);

  // What the commands wrote works for a real connection.
  TlsFiles server_files{dir + "/ca.pem", dir + "/db1.pem", dir + "/db1.key"};
  TlsFiles client_files{dir + "/ca.pem", dir + "/coordinator.pem", dir + "/coordinator.key"};
  auto server = StartServer(server_files);
  ASSERT_NE(server, nullptr);
  CallResult r = CallGetStatus(absl::StrCat("127.0.0.1:", server->port), client_files);
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << ": " << r.status.error_message();
  EXPECT_EQ(r.node, "coordinator");
}

TEST(RoleUriTest, ParseRoleUri) {
  auto coordinator = ParseRoleUri("urn:mmresync:coordinator");
  ASSERT_TRUE(coordinator.has_value());
  EXPECT_EQ(coordinator->kind, PeerRole::Kind::kCoordinator);

  auto agent = ParseRoleUri("urn:mmresync:agent:db-1.example_A");
  ASSERT_TRUE(agent.has_value());
  EXPECT_EQ(agent->kind, PeerRole::Kind::kAgent);
  EXPECT_EQ(agent->node, "db-1.example_A");

  EXPECT_TRUE(ParseRoleUri(absl::StrCat(kAgentUriPrefix, std::string(64, 'a'))).has_value());
  EXPECT_FALSE(ParseRoleUri(absl::StrCat(kAgentUriPrefix, std::string(65, 'a'))).has_value());
  EXPECT_FALSE(ParseRoleUri("urn:mmresync:agent:").has_value());
  EXPECT_FALSE(ParseRoleUri("urn:mmresync:agent:db/1").has_value());
  EXPECT_FALSE(ParseRoleUri("urn:mmresync:agent:db 1").has_value());
  EXPECT_FALSE(ParseRoleUri("urn:mmresync:coordinator:x").has_value());
  EXPECT_FALSE(ParseRoleUri("urn:mmresync:coordinatorx").has_value());
  EXPECT_FALSE(ParseRoleUri("URN:MMRESYNC:COORDINATOR").has_value());
  EXPECT_FALSE(ParseRoleUri("spiffe://example.org/db1").has_value());
  EXPECT_FALSE(ParseRoleUri("").has_value());
  EXPECT_FALSE(ParseRoleUri(std::string_view("urn:mmresync:agent:db\0x", 23)).has_value());
}

TEST(RoleUriTest, RoleUriFor) {
  EXPECT_EQ(RoleUriFor("coordinator", "ignored").value(), kCoordinatorUri);
  EXPECT_EQ(RoleUriFor("agent", "db1").value(), "urn:mmresync:agent:db1");
  EXPECT_EQ(RoleUriFor("agent", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoleUriFor("agent", "a:b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RoleUriFor("admin", "x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RoleUriTest, NoAuthContextIsUnauthenticated) {
  EXPECT_EQ(RoleOfAuthContext(nullptr).status().code(), absl::StatusCode::kUnauthenticated);
  grpc::ClientContext context;  // no call made
  EXPECT_FALSE(ServerRoleOf(context).ok());
}

}  // namespace
}  // namespace mmresync
