// Security and safety properties of the real agents and CLI (DESIGN.md, "Safety
// invariants" and "Certificates and roles"): who may call what, hostile field values,
// one operation per pair, the agent's own refusals, and the CLI's exits on config
// errors and unreachable agents. One RecoveryCluster is shared by every case; each
// case leaves it as it found it (healthy, no lease held).

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "mmresync/v1/agent.grpc.pb.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/recovery_cluster.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status assert_ok_status_ = (expr);          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (0)

constexpr absl::Duration kTimeout = absl::Seconds(120);
constexpr int kDb1 = 0;
constexpr int kDb2 = 1;
// Well-formed (64 lowercase hex) but never authorised anywhere.
const char kUnknownToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Describe(const grpc::Status& s) {
  return absl::StrCat("code ", s.error_code(), ": ", s.error_message());
}

// The replication settings a hostile request could have changed.
std::map<std::string, std::string> ReplicaSettings(MasterMasterPair& pair, int node) {
  auto status = pair.SlaveStatus(node);
  EXPECT_TRUE(status.ok()) << status.status();
  std::map<std::string, std::string> out;
  if (!status.ok()) return out;
  for (const char* key : {"Master_Host", "Master_Port", "Master_User", "Master_Log_File",
                          "Slave_IO_Running", "Slave_SQL_Running", "Last_SQL_Errno"}) {
    out[key] = (*status)[key];
  }
  return out;
}

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    auto cluster = RecoveryCluster::Start(options);
    if (!cluster.ok()) {
      *startup_error_ = cluster.status();
      return;
    }
    // A user schema the agents' refusals must leave in place.
    for (const char* sql :
         {"CREATE DATABASE keepme", "CREATE TABLE keepme.t (id INT PRIMARY KEY, v VARCHAR(20))",
          "INSERT INTO keepme.t VALUES (1, 'one'), (2, 'two')"}) {
      if (absl::Status s = (*cluster)->pair().Exec(kDb1, sql); !s.ok()) {
        *startup_error_ = s;
        return;
      }
    }
    if (absl::Status s = (*cluster)->pair().WaitInSync(kTimeout); !s.ok()) {
      *startup_error_ = s;
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

  // Each case leaves the pair as it found it.
  void TearDown() override {
    if (cluster_ == nullptr) return;
    for (int node : {kDb1, kDb2}) {
      if (!cluster_->agent(node).running()) {
        EXPECT_TRUE(cluster_->agent(node).Restart().ok());
      }
      EXPECT_EQ(Value(node, "SELECT @@GLOBAL.read_only"), "0") << "node" << node + 1;
      EXPECT_TRUE(cluster_->keepalived_running(node)) << "node" << node + 1;
      auto status = NodeStatus(node);
      EXPECT_TRUE(status.ok() && status->lease_holder().empty())
          << "a lease is still held on " << RecoveryCluster::node_name(node);
    }
    EXPECT_TRUE(cluster_->CheckHealthy(kTimeout).ok());
    EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM keepme.t"), "2");
  }

  static RecoveryCluster& cluster() { return *cluster_; }
  static MasterMasterPair& pair() { return cluster_->pair(); }
  static const TestCerts& certs() { return cluster_->certs(); }

  static std::string Value(int node, const std::string& sql) {
    auto v = pair().QueryValue(node, sql);
    return v.ok() ? *v : absl::StrCat("<", v.status().ToString(), ">");
  }

  static std::string Position(int node) {
    auto p = pair().MasterStatus(node);
    return p.ok() ? absl::StrCat(p->first, ":", p->second) : p.status().ToString();
  }

  // A stub to `node`'s agent presenting `as` (the coordinator's identity by default).
  static std::unique_ptr<v1::Agent::Stub> StubTo(int node, const TlsFiles& as) {
    auto stub = cluster_->agent(node).Stub(as);
    EXPECT_TRUE(stub.ok()) << stub.status();
    return stub.ok() ? std::move(*stub) : nullptr;
  }
  static std::unique_ptr<v1::Agent::Stub> StubTo(int node) {
    return StubTo(node, certs().Coordinator());
  }

  static absl::StatusOr<v1::NodeStatus> NodeStatus(int node, bool brief = false) {
    auto stub = StubTo(node);
    if (stub == nullptr) return absl::InternalError("no stub");
    v1::NodeStatus reply;
    v1::StatusRequest request;
    request.set_brief(brief);
    grpc::Status s = stub->GetStatus(ContextWithDeadline().get(), request, &reply);
    if (!s.ok()) return absl::UnavailableError(Describe(s));
    return reply;
  }

  static grpc::Status GetStatusAs(int node, const TlsFiles& as) {
    auto stub = StubTo(node, as);
    v1::NodeStatus reply;
    return stub->GetStatus(ContextWithDeadline().get(), v1::StatusRequest(), &reply);
  }

  static grpc::Status Lease(v1::Agent::Stub& stub, const std::string& run_id, uint32_t ttl = 60,
                            v1::LeaseReply* reply_out = nullptr) {
    v1::LeaseRequest req;
    req.set_run_id(run_id);
    req.set_ttl_seconds(ttl);
    req.set_holder("security_test");
    *req.mutable_instance() = TestInstance();
    v1::LeaseReply reply;
    grpc::Status s = stub.AcquireLease(ContextWithDeadline().get(), req, &reply);
    if (reply_out != nullptr) *reply_out = reply;
    return s;
  }

  static grpc::Status Release(v1::Agent::Stub& stub, const std::string& run_id) {
    v1::LeaseRequest req;
    req.set_run_id(run_id);
    *req.mutable_instance() = TestInstance();
    v1::LeaseReply reply;
    return stub.ReleaseLease(ContextWithDeadline().get(), req, &reply);
  }

  static grpc::Status SetReadOnly(v1::Agent::Stub& stub, const std::string& run_id, bool on) {
    v1::SetReadOnlyRequest req;
    req.set_run_id(run_id);
    req.set_read_only(on);
    v1::ActionReply reply;
    return stub.SetReadOnly(ContextWithDeadline().get(), req, &reply);
  }

  static grpc::Status StartReplica(v1::Agent::Stub& stub, const std::string& run_id) {
    v1::StartReplicaRequest req;
    req.set_run_id(run_id);
    v1::ActionReply reply;
    return stub.StartReplica(ContextWithDeadline().get(), req, &reply);
  }

  static grpc::Status Keepalived(v1::Agent::Stub& stub, const std::string& run_id, bool start) {
    v1::KeepalivedRequest req;
    req.set_run_id(run_id);
    req.set_action(start ? v1::KeepalivedRequest::START : v1::KeepalivedRequest::STOP);
    v1::ActionReply reply;
    return stub.ControlKeepalived(ContextWithDeadline().get(), req, &reply);
  }

  static grpc::Status Backup(v1::Agent::Stub& stub, const std::string& run_id, int* messages) {
    v1::BackupRequest req;
    req.set_run_id(run_id);
    auto context = ContextWithDeadline(absl::Seconds(60));
    auto reader = stub.BackupLocal(context.get(), req);
    return Drain(*reader, messages);
  }

  static grpc::Status ChangeMaster(v1::Agent::Stub& stub, const std::string& run_id,
                                   const std::string& host, uint32_t port, const std::string& file,
                                   uint64_t position) {
    v1::ChangeMasterRequest req;
    req.set_run_id(run_id);
    req.set_master_host(host);
    req.set_master_port(port);
    req.mutable_coordinates()->set_file(file);
    req.mutable_coordinates()->set_position(position);
    v1::ActionReply reply;
    return stub.ChangeMaster(ContextWithDeadline().get(), req, &reply);
  }

  // A server stream to its end; `*messages` counts what arrived before the status.
  template <typename Reply>
  static grpc::Status Drain(grpc::ClientReader<Reply>& reader, int* messages) {
    Reply reply;
    *messages = 0;
    while (reader.Read(&reply)) ++*messages;
    return reader.Finish();
  }

  static grpc::Status FetchDump(int node, const TlsFiles& as, const std::string& token,
                                const std::string& run_id, int* chunks) {
    auto stub = StubTo(node, as);
    v1::FetchDumpRequest req;
    req.set_token(token);
    req.set_run_id(run_id);
    auto context = ContextWithDeadline(absl::Seconds(60));
    auto reader = stub->FetchDump(context.get(), req);
    return Drain(*reader, chunks);
  }

  static v1::ImportRequest ImportFromDb1(const std::string& run_id, bool backup_skipped) {
    v1::ImportRequest req;
    req.set_run_id(run_id);
    req.set_source_agent(cluster_->agent(kDb1).address());
    req.set_source_node("db1");
    req.set_token(kUnknownToken);
    req.set_backup_skipped(backup_skipped);
    return req;
  }

  // Like ImportFromDb1, with a token db1 really authorised for `run` and db2 (db1 then
  // holds `run`'s lease: release it after). An import refused with it is refused by the
  // target's own checks, not for want of a stream: were the checks gone, the import
  // would reach its drop, so "nothing was dropped" can fail.
  static v1::ImportRequest AuthorisedImportFromDb1(const std::string& run, bool backup_skipped) {
    static int next = 0;
    auto source = StubTo(kDb1);
    v1::LeaseReply held;
    grpc::Status lease = Lease(*source, run, 60, &held);
    EXPECT_TRUE(lease.ok()) << Describe(lease);
    v1::AuthorizeTransferRequest auth;
    auth.set_run_id(run);
    auth.set_token(absl::StrCat(std::string(56, 'c'), absl::Hex(++next, absl::kZeroPad8)));
    auth.set_peer_node("db2");
    v1::ActionReply reply;
    grpc::Status s = source->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
    EXPECT_TRUE(s.ok()) << Describe(s);
    v1::ImportRequest req = ImportFromDb1(run, backup_skipped);
    req.set_token(auth.token());
    return req;
  }

  static grpc::Status Import(v1::Agent::Stub& stub, const v1::ImportRequest& req, int* messages) {
    auto context = ContextWithDeadline(absl::Seconds(60));
    auto reader = stub.ImportFromPeer(context.get(), req);
    return Drain(*reader, messages);
  }

  static RecoveryCluster* cluster_;
  static absl::Status* startup_error_;
};

RecoveryCluster* SecurityTest::cluster_ = nullptr;
absl::Status* SecurityTest::startup_error_ = new absl::Status();

TEST_F(SecurityTest, OnlyCertificatesFromTheClusterCaAreAccepted) {
  // The control: the cluster's coordinator certificate works.
  grpc::Status ok = GetStatusAs(kDb1, certs().Coordinator());
  ASSERT_TRUE(ok.ok()) << Describe(ok);

  auto foreign = certs().ForeignCoordinator();
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  grpc::Status rejected = GetStatusAs(kDb1, *foreign);
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(rejected);

  auto expired = certs().ExpiredCoordinator();
  ASSERT_TRUE(expired.ok()) << expired.status();
  grpc::Status too_old = GetStatusAs(kDb1, *expired);
  EXPECT_EQ(too_old.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(too_old);

  // A mutating call with a foreign certificate does not reach the handler either.
  auto stub = StubTo(kDb1, *foreign);
  grpc::Status lease = Lease(*stub, "sec-foreign");
  EXPECT_EQ(lease.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(lease);
}

TEST_F(SecurityTest, AgentCertificateCannotCallControlRpcs) {
  const TlsFiles db2 = certs().Agent("db2");
  grpc::Status status = GetStatusAs(kDb1, db2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);

  auto stub = StubTo(kDb1, db2);
  grpc::Status lease = Lease(*stub, "sec-agent-role");
  EXPECT_EQ(lease.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(lease);
  grpc::Status ro = SetReadOnly(*stub, "sec-agent-role", true);
  EXPECT_EQ(ro.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(ro);
  v1::StopReplicaRequest stop;
  stop.set_run_id("sec-agent-role");
  stop.set_reset(true);
  v1::ActionReply reply;
  grpc::Status stopped = stub->StopReplica(ContextWithDeadline().get(), stop, &reply);
  EXPECT_EQ(stopped.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(stopped);

  // Nothing changed.
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(pair().ReplicationHealthy(kDb1).value_or(false));
  auto st = NodeStatus(kDb1);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->lease_holder(), "");
}

TEST_F(SecurityTest, DumpStreamNeedsThePeerAgentAndItsToken) {
  int chunks = 0;
  // The coordinator may not pull the data.
  grpc::Status coordinator =
      FetchDump(kDb1, certs().Coordinator(), kUnknownToken, "sec-r", &chunks);
  EXPECT_EQ(coordinator.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(coordinator);
  EXPECT_EQ(chunks, 0);
  // A peer agent without a token, or with one never authorised.
  grpc::Status no_token = FetchDump(kDb1, certs().Agent("db2"), "", "sec-r", &chunks);
  EXPECT_TRUE(no_token.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
              no_token.error_code() == grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(no_token);
  EXPECT_EQ(chunks, 0);
  grpc::Status unknown = FetchDump(kDb1, certs().Agent("db2"), kUnknownToken, "sec-r", &chunks);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(unknown);
  EXPECT_EQ(chunks, 0);

  // A token authorised for db2 and run sec-tok: not for another run, not for another
  // agent, and not for the coordinator.
  auto control = StubTo(kDb1);
  ASSERT_TRUE(Lease(*control, "sec-tok").ok());
  const std::string token(64, 'a');
  v1::AuthorizeTransferRequest auth;
  auth.set_run_id("sec-tok");
  auth.set_token(token);
  auth.set_peer_node("db2");
  v1::ActionReply reply;
  grpc::Status authorised = control->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
  ASSERT_TRUE(authorised.ok()) << Describe(authorised);
  grpc::Status other_run = FetchDump(kDb1, certs().Agent("db2"), token, "sec-other", &chunks);
  EXPECT_EQ(other_run.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(other_run);
  EXPECT_TRUE(absl::StrContains(other_run.error_message(), "run")) << Describe(other_run);
  EXPECT_EQ(chunks, 0);
  grpc::Status other_agent = FetchDump(kDb1, certs().Agent("db1"), token, "sec-tok", &chunks);
  EXPECT_EQ(other_agent.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(other_agent);
  // db1's own certificate is not its peer's: refused by its role, before the token.
  EXPECT_TRUE(absl::StrContains(other_agent.error_message(), "only the peer agent (db2)"))
      << Describe(other_agent);
  EXPECT_EQ(chunks, 0);
  grpc::Status as_coordinator = FetchDump(kDb1, certs().Coordinator(), token, "sec-tok", &chunks);
  EXPECT_EQ(as_coordinator.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << Describe(as_coordinator);
  EXPECT_EQ(chunks, 0);
  EXPECT_TRUE(Release(*control, "sec-tok").ok());
}

// A transfer token dies with its run's lease: released before the peer used it, it
// opens nothing (and the same run taking the lease again does not revive it).
TEST_F(SecurityTest, TransferTokenDiesWithTheLease) {
  auto control = StubTo(kDb1);
  ASSERT_TRUE(Lease(*control, "sec-dead").ok());
  const std::string token(64, 'd');
  v1::AuthorizeTransferRequest auth;
  auth.set_run_id("sec-dead");
  auth.set_token(token);
  auth.set_peer_node("db2");
  v1::ActionReply reply;
  grpc::Status authorised = control->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
  ASSERT_TRUE(authorised.ok()) << Describe(authorised);
  ASSERT_TRUE(Release(*control, "sec-dead").ok());
  ASSERT_TRUE(Lease(*control, "sec-dead").ok());
  int chunks = 0;
  grpc::Status fetch = FetchDump(kDb1, certs().Agent("db2"), token, "sec-dead", &chunks);
  EXPECT_EQ(fetch.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(fetch);
  EXPECT_EQ(chunks, 0);
  EXPECT_TRUE(Release(*control, "sec-dead").ok());
}

TEST_F(SecurityTest, HostileFieldValuesAreRejected) {
  auto stub = StubTo(kDb1);
  const std::string run = "sec-hostile";
  const auto before = ReplicaSettings(pair(), kDb1);
  const int port = pair().node(kDb2).port();

  // Without the lease, control RPCs are refused whatever they carry.
  grpc::Status no_lease = SetReadOnly(*stub, run, true);
  EXPECT_EQ(no_lease.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(no_lease);
  grpc::Status no_lease_cm = ChangeMaster(*stub, run, "127.0.0.1", port, "mysql-bin.000001", 4);
  EXPECT_EQ(no_lease_cm.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(no_lease_cm);
  {
    v1::StopReplicaRequest stop;
    stop.set_run_id(run);
    v1::ActionReply reply;
    grpc::Status s = stub->StopReplica(ContextWithDeadline().get(), stop, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
    v1::BackupRequest backup;
    backup.set_run_id(run);
    auto context = ContextWithDeadline();
    auto reader = stub->BackupLocal(context.get(), backup);
    int messages = 0;
    s = Drain(*reader, &messages);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
    EXPECT_EQ(messages, 0);
  }

  // Malformed lease requests.
  for (const std::string& bad_run :
       {std::string("../../x"), std::string("a b"), std::string("x'; DROP DATABASE mysql; --"),
        std::string(""), std::string(65, 'r')}) {
    grpc::Status s = Lease(*stub, bad_run);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad_run << ": " << Describe(s);
  }
  for (uint32_t ttl : {0u, 4u, 601u, 4000000000u}) {
    grpc::Status s = Lease(*stub, run, ttl);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << ttl << ": " << Describe(s);
  }

  ASSERT_TRUE(Lease(*stub, run).ok());
  struct Case {
    std::string what, host;
    uint32_t port;
    std::string file;
    uint64_t position;
  };
  const std::vector<Case> cases = {
      {"path in file", "127.0.0.1", static_cast<uint32_t>(port), "../../etc/passwd", 4},
      {"SQL in file", "127.0.0.1", static_cast<uint32_t>(port), "x'; DROP DATABASE mysql; --", 4},
      {"empty file", "127.0.0.1", static_cast<uint32_t>(port), "", 4},
      {"position 0", "127.0.0.1", static_cast<uint32_t>(port), "mysql-bin.000001", 0},
      {"position > int64", "127.0.0.1", static_cast<uint32_t>(port), "mysql-bin.000001",
       ~uint64_t{0}},
      {"port 0", "127.0.0.1", 0, "mysql-bin.000001", 4},
      {"port 70000", "127.0.0.1", 70000, "mysql-bin.000001", 4},
      {"host with spaces", "evil host", static_cast<uint32_t>(port), "mysql-bin.000001", 4},
      {"SQL in host", "h', MASTER_USER='root", static_cast<uint32_t>(port), "mysql-bin.000001", 4},
      {"empty host", "", static_cast<uint32_t>(port), "mysql-bin.000001", 4},
  };
  for (const Case& c : cases) {
    grpc::Status s = ChangeMaster(*stub, run, c.host, c.port, c.file, c.position);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.what << ": " << Describe(s);
    EXPECT_EQ(ReplicaSettings(pair(), kDb1), before) << "after " << c.what;
  }
  // A lease holder's bad run_id on a control RPC.
  grpc::Status bad_run = SetReadOnly(*stub, "bad run;--", true);
  EXPECT_EQ(bad_run.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(bad_run);
  {
    v1::KeepalivedRequest ka;
    ka.set_run_id(run);  // action left unspecified
    v1::ActionReply reply;
    grpc::Status s = stub->ControlKeepalived(ContextWithDeadline().get(), ka, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    v1::AuthorizeTransferRequest auth;
    auth.set_run_id(run);
    auth.set_token(kUnknownToken);
    auth.set_peer_node("../db2");
    s = stub->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    auth.set_peer_node("db1");  // itself
    s = stub->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    auth.set_peer_node("db2");
    auth.set_token("NOT-HEX");
    s = stub->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  }
  {
    int messages = 0;
    v1::ImportRequest req = ImportFromDb1(run, true);
    req.set_source_agent("evil host:1");
    grpc::Status s = Import(*stub, req, &messages);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    req = ImportFromDb1(run, true);
    req.set_source_node("db1");  // db1 re-seeding itself
    s = Import(*stub, req, &messages);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    req = ImportFromDb1(run, true);
    req.set_source_node("db2");
    req.set_token("x");
    s = Import(*stub, req, &messages);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  }
  EXPECT_EQ(ReplicaSettings(pair(), kDb1), before);
  EXPECT_EQ(Value(kDb1,
                  "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
                  "'mysql'"),
            "1");
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(Release(*stub, run).ok());
}

TEST_F(SecurityTest, OneOperationPerPair) {
  auto stub = StubTo(kDb1);
  ASSERT_TRUE(Lease(*stub, "run-A").ok());
  grpc::Status second = Lease(*stub, "run-B");
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(second);
  EXPECT_TRUE(absl::StrContains(second.error_message(), "run-A")) << Describe(second);
  grpc::Status intruder = SetReadOnly(*stub, "run-B", true);
  EXPECT_EQ(intruder.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(intruder);
  EXPECT_TRUE(absl::StrContains(intruder.error_message(), "run-A")) << Describe(intruder);
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");

  // The CLI, as a second coordinator, refuses and changes nothing.
  const auto position = Position(kDb2);
  auto recover = cluster().Cli({"recover", "--source", "db2", "--yes", "--force"});
  ASSERT_TRUE(recover.ok()) << recover.status();
  EXPECT_EQ(recover->exit_code, 3) << recover->Describe();
  EXPECT_TRUE(absl::StrContains(recover->output(), "run-A")) << recover->Describe();
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb1));
  EXPECT_EQ(Position(kDb2), position);
  auto st = NodeStatus(kDb1);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->lease_holder(), "run-A");  // the refused run did not take it over
  ASSERT_TRUE(Release(*stub, "run-A").ok());

  // A vanished coordinator's lease expires by itself.
  ASSERT_TRUE(Lease(*stub, "run-C", 5).ok());
  EXPECT_EQ(Lease(*stub, "run-D").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_OK(WaitUntil(
      [&] {
        auto s = NodeStatus(kDb1);
        return s.ok() && s->lease_holder().empty();
      },
      absl::Seconds(30), absl::Milliseconds(200), "run-C's lease to expire"));
  grpc::Status next = Lease(*stub, "run-D");
  EXPECT_TRUE(next.ok()) << Describe(next);
  EXPECT_TRUE(Release(*stub, "run-D").ok());
}

TEST_F(SecurityTest, AgentRefusesDestructiveActionsUnlessFenced) {
  auto stub = StubTo(kDb2);
  const std::string run = "sec-fence";
  ASSERT_TRUE(Lease(*stub, run).ok());
  int messages = 0;

  // db2 serves (keepalived running, read_only OFF): no import, no RESET SLAVE, whatever
  // the coordinator asks, and even with the backup explicitly skipped.
  grpc::Status serving = Import(*stub, AuthorisedImportFromDb1(run, true), &messages);
  EXPECT_EQ(serving.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(serving);
  EXPECT_TRUE(absl::StrContains(serving.error_message(), "keepalived")) << Describe(serving);
  v1::StopReplicaRequest reset;
  reset.set_run_id(run);
  reset.set_reset(true);
  v1::ActionReply reply;
  grpc::Status reset_refused = stub->StopReplica(ContextWithDeadline().get(), reset, &reply);
  EXPECT_EQ(reset_refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(reset_refused);
  EXPECT_TRUE(pair().ReplicationHealthy(kDb2).value_or(false)) << "replication was stopped";

  // keepalived stopped, read_only still OFF: refused.
  v1::KeepalivedRequest stop_ka;
  stop_ka.set_run_id(run);
  stop_ka.set_action(v1::KeepalivedRequest::STOP);
  ASSERT_TRUE(stub->ControlKeepalived(ContextWithDeadline().get(), stop_ka, &reply).ok());
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  grpc::Status writable = Import(*stub, AuthorisedImportFromDb1(run, true), &messages);
  EXPECT_EQ(writable.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(writable);
  EXPECT_TRUE(absl::StrContains(writable.error_message(), "read_only")) << Describe(writable);

  // Fenced, but no backup for this run and the backup not skipped: refused.
  ASSERT_TRUE(SetReadOnly(*stub, run, true).ok());
  grpc::Status no_backup = Import(*stub, AuthorisedImportFromDb1(run, false), &messages);
  EXPECT_EQ(no_backup.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(no_backup);
  EXPECT_TRUE(absl::StrContains(no_backup.error_message(), "backup")) << Describe(no_backup);

  // Nothing was dropped by any of these.
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM keepme.t"), "2");

  // Unfence again.
  ASSERT_TRUE(SetReadOnly(*stub, run, false).ok());
  v1::KeepalivedRequest start_ka = stop_ka;
  start_ka.set_action(v1::KeepalivedRequest::START);
  ASSERT_TRUE(stub->ControlKeepalived(ContextWithDeadline().get(), start_ka, &reply).ok());
  EXPECT_TRUE(Release(*stub, run).ok());
  EXPECT_TRUE(Release(*StubTo(kDb1), run).ok());
}

// The brief status fencing polls answers without asking the database.
TEST_F(SecurityTest, BriefStatusLeavesTheDatabaseAlone) {
  auto full = NodeStatus(kDb1);
  auto brief = NodeStatus(kDb1, /*brief=*/true);
  ASSERT_TRUE(full.ok() && brief.ok()) << full.status() << brief.status();
  EXPECT_NE(full->server_id(), 0u);
  EXPECT_FALSE(full->master().file().empty());
  EXPECT_EQ(brief->node(), "db1");
  EXPECT_EQ(brief->server_id(), 0u);
  EXPECT_TRUE(brief->master().file().empty());
  EXPECT_EQ(brief->schemas_size(), 0);
  EXPECT_EQ(brief->db_error(), "");
  EXPECT_EQ(brief->keepalived().control(), full->keepalived().control());
  EXPECT_EQ(brief->vip_local(), full->vip_local());
}

// 127.0.0.1 is on a local interface of every agent here: an agent configured with it
// as its VIP believes it is the master. 192.0.2.1 (TEST-NET-1) is on none.
TEST_F(SecurityTest, TheVipHolderIsNeverTheTarget) {
  ASSERT_OK(cluster().RestartAgentWithVip(kDb1, "192.0.2.1"));
  ASSERT_OK(cluster().RestartAgentWithVip(kDb2, "127.0.0.1"));
  auto restore = absl::MakeCleanup([&] {
    EXPECT_TRUE(cluster().RestartAgentWithVip(kDb1, "").ok());
    EXPECT_TRUE(cluster().RestartAgentWithVip(kDb2, "").ok());
  });

  auto db2 = NodeStatus(kDb2);
  ASSERT_TRUE(db2.ok()) << db2.status();
  EXPECT_TRUE(db2->vip_local());
  // The coordinator refuses any run while the agents disagree about the VIP, so naming
  // the other node as the source (which would make the VIP holder the target) is
  // refused before anything changes.
  const auto positions = std::make_pair(Position(kDb1), Position(kDb2));
  auto recover = cluster().Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_TRUE(recover.ok()) << recover.status();
  EXPECT_EQ(recover->exit_code, 3) << recover->Describe();
  EXPECT_TRUE(absl::StrContains(recover->output(), "VIP")) << recover->Describe();
  EXPECT_EQ(std::make_pair(Position(kDb1), Position(kDb2)), positions);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  // The agent refuses on its own, whatever a coordinator asks: even fenced (keepalived
  // stopped, read_only ON) and with the backup skipped, no import and no RESET SLAVE
  // on the node that holds the VIP.
  auto stub = StubTo(kDb2);
  const std::string run = "sec-vip";
  ASSERT_TRUE(Lease(*stub, run).ok());
  v1::KeepalivedRequest ka;
  ka.set_run_id(run);
  ka.set_action(v1::KeepalivedRequest::STOP);
  v1::ActionReply reply;
  ASSERT_TRUE(stub->ControlKeepalived(ContextWithDeadline().get(), ka, &reply).ok());
  ASSERT_TRUE(SetReadOnly(*stub, run, true).ok());
  int messages = 0;
  grpc::Status import = Import(*stub, AuthorisedImportFromDb1(run, true), &messages);
  EXPECT_EQ(import.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(import);
  EXPECT_TRUE(absl::StrContains(import.error_message(), "VIP")) << Describe(import);
  v1::StopReplicaRequest reset;
  reset.set_run_id(run);
  reset.set_reset(true);
  grpc::Status reset_refused = stub->StopReplica(ContextWithDeadline().get(), reset, &reply);
  EXPECT_EQ(reset_refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(reset_refused);
  EXPECT_TRUE(pair().ReplicationHealthy(kDb2).value_or(false));
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM keepme.t"), "2");

  ASSERT_TRUE(SetReadOnly(*stub, run, false).ok());
  ka.set_action(v1::KeepalivedRequest::START);
  ASSERT_TRUE(stub->ControlKeepalived(ContextWithDeadline().get(), ka, &reply).ok());
  EXPECT_TRUE(Release(*stub, run).ok());
  EXPECT_TRUE(Release(*StubTo(kDb1), run).ok());
}

TEST_F(SecurityTest, CliConfigErrorsAndUnreachableAgents) {
  // An unknown key: exit 2, naming the file and the key.
  const std::string bad_key = cluster().base_dir() + "/bad-key.toml";
  std::string text = cluster().cluster_toml();
  const size_t agent_key = text.find("\nagent = ");
  ASSERT_NE(agent_key, std::string::npos);
  text.replace(agent_key, 9, "\nagnet = ");
  ASSERT_OK(WriteFileAtomically(bad_key, text, 0600));
  for (const char* command : {"status", "recover"}) {
    auto r = RunCli({"--config", bad_key, command});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 2) << r->Describe();
    EXPECT_TRUE(absl::StrContains(r->err, bad_key)) << r->Describe();
    EXPECT_TRUE(absl::StrContains(r->err, "agnet")) << r->Describe();
  }
  // A TOML syntax error, a missing required key, a missing file.
  const std::string bad_syntax = cluster().base_dir() + "/bad-syntax.toml";
  ASSERT_OK(WriteFileAtomically(bad_syntax, "[cluster]\nname = \"unterminated\n", 0600));
  auto syntax = RunCli({"--config", bad_syntax, "status"});
  ASSERT_TRUE(syntax.ok()) << syntax.status();
  EXPECT_EQ(syntax->exit_code, 2) << syntax->Describe();
  EXPECT_TRUE(absl::StrContains(syntax->err, bad_syntax)) << syntax->Describe();
  const std::string no_name = cluster().base_dir() + "/no-name.toml";
  ASSERT_OK(WriteFileAtomically(
      no_name, absl::StrReplaceAll(cluster().cluster_toml(), {{"name = \"itest\"", ""}}), 0600));
  auto missing = RunCli({"--config", no_name, "status"});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->exit_code, 2) << missing->Describe();
  EXPECT_TRUE(absl::StrContains(missing->err, "cluster.name")) << missing->Describe();
  auto absent = RunCli({"--config", cluster().base_dir() + "/absent.toml", "status"});
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(absent->exit_code, 2) << absent->Describe();

  // db2's agent is down: status is an error (2), recover refuses (3) and changes nothing.
  const auto positions = std::make_pair(Position(kDb1), Position(kDb2));
  ASSERT_OK(cluster().agent(kDb2).Kill());
  auto status = cluster().Cli({"status"});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 2) << status->Describe();
  EXPECT_TRUE(absl::StrContains(status->output(), "db2")) << status->Describe();
  for (const char* source : {"db1", "db2"}) {
    auto recover = cluster().Cli({"recover", "--source", source, "--yes", "--force"});
    ASSERT_TRUE(recover.ok()) << recover.status();
    EXPECT_EQ(recover->exit_code, 3) << source << ": " << recover->Describe();
    EXPECT_TRUE(absl::StrContains(recover->output(), "unreachable")) << recover->Describe();
  }
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb1));
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(std::make_pair(Position(kDb1), Position(kDb2)), positions);
  auto db1 = NodeStatus(kDb1);
  ASSERT_TRUE(db1.ok()) << db1.status();
  EXPECT_EQ(db1->lease_holder(), "") << "a refused run left a lease on db1";

  ASSERT_OK(cluster().agent(kDb2).Restart());
  auto healthy = cluster().Cli({"status"});
  ASSERT_TRUE(healthy.ok()) << healthy.status();
  EXPECT_EQ(healthy->exit_code, 0) << healthy->Describe();
}

// The master can not be pointed at a server the caller controls (a DROP DATABASE there
// would run on the master, and the master would send it the replication password): each
// agent replicates only from its pinned [peer], on every node, and on the VIP holder
// only with the run's lease as well.
TEST_F(SecurityTest, ChangeMasterAcceptsOnlyThePinnedPeer) {
  const uint32_t peer_port = static_cast<uint32_t>(pair().node(kDb2).port());
  const uint32_t own_port = static_cast<uint32_t>(pair().node(kDb1).port());
  struct Foreign {
    std::string what, host;
    uint32_t port;
  };
  const std::vector<Foreign> foreign = {
      {"another port on the peer's host", "127.0.0.1", peer_port == 3306 ? 3307u : 3306u},
      {"this node itself", "127.0.0.1", own_port},
      {"another address, the peer's port", "127.0.0.2", peer_port},
      {"a host name for the peer's address (no DNS)", "localhost", peer_port},
      {"the peer's address mapped to IPv6", "::ffff:127.0.0.1", peer_port},
      {"a foreign server", "192.0.2.7", 3306},
  };
  auto hostile = [&](int node, const std::string& run) {
    auto stub = StubTo(node);
    const auto before = ReplicaSettings(pair(), node);
    ASSERT_EQ(before.at("Slave_IO_Running"), "Yes");
    for (const Foreign& f : foreign) {
      grpc::Status s = ChangeMaster(*stub, run, f.host, f.port, "mysql-bin.000001", 4);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << f.what << ": " << Describe(s);
      EXPECT_TRUE(absl::StrContains(s.error_message(), "pinned peer db2")) << Describe(s);
      EXPECT_EQ(ReplicaSettings(pair(), node), before) << "after " << f.what;
    }
  };

  // db1 does not hold the VIP.
  auto stub = StubTo(kDb1);
  ASSERT_TRUE(Lease(*stub, "sec-pin").ok());
  hostile(kDb1, "sec-pin");
  // The peer itself is accepted (and START SLAVE toward it): at its current position,
  // so replication goes on as before.
  auto status = pair().SlaveStatus(kDb1);
  ASSERT_TRUE(status.ok()) << status.status();
  grpc::Status peer =
      ChangeMaster(*stub, "sec-pin", "127.0.0.1", peer_port, (*status)["Relay_Master_Log_File"],
                   std::stoull((*status)["Exec_Master_Log_Pos"]));
  ASSERT_TRUE(peer.ok()) << Describe(peer);
  grpc::Status started = StartReplica(*stub, "sec-pin");
  ASSERT_TRUE(started.ok()) << Describe(started);
  ASSERT_OK(WaitUntil([&] { return pair().ReplicationHealthy(kDb1).value_or(false); }, kTimeout,
                      absl::Milliseconds(100), "db1 to replicate from db2 again"));
  ASSERT_TRUE(Release(*stub, "sec-pin").ok());

  // db1 holds the VIP (127.0.0.1 is local here): the same hostile requests are refused
  // with SHOW SLAVE STATUS unchanged, and without the run's lease nothing at all.
  ASSERT_OK(cluster().RestartAgentWithVip(kDb1, "127.0.0.1"));
  auto restore =
      absl::MakeCleanup([&] { EXPECT_TRUE(cluster().RestartAgentWithVip(kDb1, "").ok()); });
  stub = StubTo(kDb1);
  auto db1 = NodeStatus(kDb1);
  ASSERT_TRUE(db1.ok() && db1->vip_local()) << db1.status();
  const auto before = ReplicaSettings(pair(), kDb1);
  grpc::Status no_lease =
      ChangeMaster(*stub, "sec-pin-vip", "127.0.0.1", peer_port, "mysql-bin.000001", 4);
  EXPECT_EQ(no_lease.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(no_lease);
  grpc::Status no_lease_start = StartReplica(*stub, "sec-pin-vip");
  EXPECT_EQ(no_lease_start.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(no_lease_start);
  EXPECT_EQ(ReplicaSettings(pair(), kDb1), before);
  ASSERT_TRUE(Lease(*stub, "sec-pin-vip").ok());
  hostile(kDb1, "sec-pin-vip");
  // The lease of a run is not enough for another coordinator instance either.
  {
    v1::ChangeMasterRequest req;
    req.set_run_id("sec-pin-vip");
    req.set_master_host("127.0.0.1");
    req.set_master_port(peer_port);
    req.mutable_coordinates()->set_file("mysql-bin.000001");
    req.mutable_coordinates()->set_position(4);
    v1::ActionReply reply;
    grpc::Status other = stub->ChangeMaster(
        ContextWithDeadline(absl::Seconds(30), "another-instance").get(), req, &reply);
    EXPECT_EQ(other.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(other);
    EXPECT_TRUE(absl::StrContains(other.error_message(), "another-instance")) << Describe(other);
  }
  EXPECT_EQ(ReplicaSettings(pair(), kDb1), before);
  EXPECT_TRUE(Release(*stub, "sec-pin-vip").ok());
}

// The agent re-checks its fence at the moment of harm. The source's dump is held before
// its first byte; meanwhile the target's fence is undone behind the agent's back
// (read_only OFF in SQL): when the bytes come, nothing is dropped. While the import
// runs, the agent itself refuses to unfence, and runs no second import or backup.
TEST_F(SecurityTest, FenceUndoneBeforeTheFirstChunkDropsNothing) {
  const std::string gate = cluster().base_dir() + "/dump-gate";
  const std::string wrapper = gate + ".sh";
  ASSERT_OK(WriteFileAtomically(
      wrapper,
      absl::StrCat("#!/bin/sh\n: > '", gate, ".waiting'\n", "i=0; while [ ! -e '", gate,
                   ".go' ] && [ $i -lt 1200 ]; do sleep 0.05; "
                   "i=$((i+1)); done\n",
                   "exec mariadb-dump \"$@\"\n"),
      0755));
  ASSERT_OK(cluster().agent(kDb1).Stop());
  cluster().agent(kDb1).mutable_options().dump_command = wrapper;
  ASSERT_OK(cluster().agent(kDb1).Restart());
  auto restore = absl::MakeCleanup([&] {
    EXPECT_TRUE(cluster().agent(kDb1).Stop().ok());
    cluster().agent(kDb1).mutable_options().dump_command.clear();
    EXPECT_TRUE(cluster().agent(kDb1).Restart().ok());
  });

  const std::string run = "sec-moment";
  auto source = StubTo(kDb1);
  auto target = StubTo(kDb2);
  ASSERT_TRUE(Lease(*source, run).ok());
  ASSERT_TRUE(Lease(*target, run).ok());
  const std::string token(64, 'b');
  {
    v1::AuthorizeTransferRequest auth;
    auth.set_run_id(run);
    auth.set_token(token);
    auth.set_peer_node("db2");
    v1::ActionReply reply;
    grpc::Status s = source->AuthorizeTransfer(ContextWithDeadline().get(), auth, &reply);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }
  ASSERT_TRUE(Keepalived(*target, run, false).ok());
  ASSERT_TRUE(SetReadOnly(*target, run, true).ok());
  const std::string schemas_before = Value(kDb2,
                                           "SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY 1) "
                                           "FROM information_schema.SCHEMATA");

  v1::ImportRequest req = ImportFromDb1(run, /*backup_skipped=*/true);
  req.set_token(token);
  grpc::Status import;
  int messages = 0;
  std::thread importer([&] { import = Import(*target, req, &messages); });
  absl::Cleanup go = [&] {
    (void)WriteFileAtomically(gate + ".go", "", 0600);
    if (importer.joinable()) importer.join();
  };
  ASSERT_OK(WaitUntil([&] { return access((gate + ".waiting").c_str(), F_OK) == 0; }, kTimeout,
                      absl::Milliseconds(50), "the source's dump to start"));

  // The import runs (it waits for the first chunk): no unfencing through the agent, no
  // second import or backup, whatever the caller holds.
  grpc::Status unfence = SetReadOnly(*target, run, false);
  EXPECT_EQ(unfence.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(unfence);
  EXPECT_TRUE(absl::StrContains(unfence.error_message(), "import for run sec-moment"))
      << Describe(unfence);
  grpc::Status ka_start = Keepalived(*target, run, true);
  EXPECT_EQ(ka_start.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(ka_start);
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  int other = 0;
  grpc::Status second = Import(*target, req, &other);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(second);
  EXPECT_TRUE(absl::StrContains(second.error_message(), "one import, dump or backup at a time"))
      << Describe(second);
  grpc::Status backup = Backup(*target, run, &other);
  EXPECT_EQ(backup.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(backup);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");

  // Behind the agent's back, keepalived is started on the node before any byte arrived
  // (it could take the VIP). A read_only=OFF would not do: the agent's fence keeper puts
  // read_only back ON within 250 ms while the run holds the lease; keepalived it leaves to
  // this check.
  ASSERT_OK(WriteFileAtomically(cluster().keepalived_marker(kDb2), "", 0600));
  std::move(go).Invoke();
  EXPECT_EQ(import.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(import);
  EXPECT_TRUE(absl::StrContains(import.error_message(), "keepalived is running here"))
      << Describe(import);
  EXPECT_TRUE(absl::StrContains(import.error_message(), "nothing was dropped")) << Describe(import);
  EXPECT_EQ(Value(kDb2,
                  "SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY 1) FROM "
                  "information_schema.SCHEMATA"),
            schemas_before);
  EXPECT_EQ(Value(kDb2, "SELECT COUNT(*) FROM keepme.t"), "2");

  // The import is over: unfencing is allowed again.
  ASSERT_OK(WaitUntil([&] { return SetReadOnly(*target, run, false).ok(); }, kTimeout,
                      absl::Milliseconds(100), "read_only OFF after the import ended"));
  ASSERT_OK(WaitUntil([&] { return Keepalived(*target, run, true).ok(); }, kTimeout,
                      absl::Milliseconds(100), "keepalived start after the import ended"));
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(Release(*target, run).ok());
  EXPECT_TRUE(Release(*source, run).ok());
}

// A full backup is never written onto the VIP holder's disk.
TEST_F(SecurityTest, NoBackupOnTheVipHolder) {
  ASSERT_OK(cluster().RestartAgentWithVip(kDb1, "127.0.0.1"));
  auto restore =
      absl::MakeCleanup([&] { EXPECT_TRUE(cluster().RestartAgentWithVip(kDb1, "").ok()); });
  auto stub = StubTo(kDb1);
  ASSERT_TRUE(Lease(*stub, "sec-backup").ok());
  int messages = 0;
  grpc::Status s = Backup(*stub, "sec-backup", &messages);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "holds the VIP")) << Describe(s);
  EXPECT_EQ(messages, 0);
  struct stat st {};
  EXPECT_NE(stat((cluster().agent(kDb1).backup_dir() + "/sec-backup.sql").c_str(), &st), 0);
  EXPECT_TRUE(Release(*stub, "sec-backup").ok());
}

}  // namespace
}  // namespace mmresync::testing
