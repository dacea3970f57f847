// The security matrix (issue 11; DESIGN.md, "Certificates and roles"): every RPC of the
// agent service, called on one real agent (db2, whose pinned peer is db1) by every kind
// of caller, answers with the code the contract gives. Control RPCs accept only the
// coordinator role; the data stream accepts only the peer agent's role (its token or
// session is checked after that). A refused call leaves the node as it was; an allowed
// caller gets past the role check to request validation, so a rule that is too strict
// fails here as well as one that is too loose.
//
// One cluster serves every cell. The coordinator holds db2's lease for the whole suite,
// and the refused callers send requests that would act under it (they name its run and
// its instance): without the role check they would change the node.

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mmresync/v1/agent.grpc.pb.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/cluster_suite.h"

namespace mmresync::testing {
namespace {

constexpr int kNode = kDb2;  // the agent under test
constexpr char kRun[] = "security-matrix";
// Well-formed (64 and 32 lowercase hex) but authorised nowhere.
constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr char kSessionId[] = "0123456789abcdef0123456789abcdef";
constexpr absl::Duration kCallTimeout = absl::Seconds(30);

enum class Rpc {
  kGetStatus,
  kAcquireLease,
  kRenewLease,
  kReleaseLease,
  kSetReadOnly,
  kControlKeepalived,
  kStopReplica,
  kChangeMaster,
  kStartReplica,
  kBackupLocal,
  kAuthorizeTransfer,
  kImportFromPeer,
  kFetchDump,
  kBeginTransfer,
  kFetchPart,
  kEndTransfer,
  kDigestChunks,
  kTableChecksums,
  kListBackups,
  kRestoreBackup,
  kPruneBackups,
};

// What the contract says a caller gets from an RPC.
enum class Outcome {
  kHandshake,        // the TLS handshake fails before any method: UNAVAILABLE
  kPasses,           // past the role check: the RPC's own validation answers
  kCoordinatorOnly,  // PERMISSION_DENIED: control RPCs are for the coordinator
  kPeerAgentOnly,    // PERMISSION_DENIED: the data stream is for the peer agent
  kTwoRoles,         // PERMISSION_DENIED: the certificate names two roles
};

// The callers, in the order of the table's columns.
enum Caller {
  kNoCertificate,
  kOtherCa,
  kExpired,
  kNotYetValid,
  kCoordinator,
  kCoordinatorPlusForeignUri,  // the coordinator role and a corporate PKI's own URI
  kPeerAgent,                  // db1
  kOutsiderAgent,              // db3, a node outside the pair
  kOwnAgent,                   // db2, this node's own certificate
  kTwoRoleUris,                // urn:mmresync:coordinator and urn:mmresync:agent:db1
  kCallerCount,
};

constexpr const char* kCallerNames[kCallerCount] = {"NoCertificate", "OtherCa",
                                                    "Expired",       "NotYetValid",
                                                    "Coordinator",   "CoordinatorPlusForeignUri",
                                                    "PeerAgent",     "OutsiderAgent",
                                                    "OwnAgent",      "TwoRoleUris"};

struct Row {
  Rpc rpc;
  const char* name;
  // What a caller that passes the role check gets: the code of the RPC's validation of
  // a malformed request, or OK for the read-only RPCs that take no arguments to refuse.
  grpc::StatusCode validation;
  // Whether the RPC can change the node: its state is then compared around every call.
  bool changes_state;
  Outcome by[kCallerCount];
};

// Short names for the table below.
constexpr Outcome kTls = Outcome::kHandshake;
constexpr Outcome kPass = Outcome::kPasses;
constexpr Outcome kCoord = Outcome::kCoordinatorOnly;
constexpr Outcome kPeer = Outcome::kPeerAgentOnly;
constexpr Outcome kTwo = Outcome::kTwoRoles;
constexpr grpc::StatusCode kOk = grpc::StatusCode::OK;
constexpr grpc::StatusCode kInvalid = grpc::StatusCode::INVALID_ARGUMENT;

// The contract, one row per RPC. Columns: no certificate, another CA, expired, not yet
// valid, coordinator, coordinator + foreign URI, peer agent, outsider agent, own agent,
// two role URIs.
// clang-format off
const Row kMatrix[] = {
  {Rpc::kGetStatus,         "GetStatus",         kOk,      false, {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kAcquireLease,      "AcquireLease",      kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kRenewLease,        "RenewLease",        kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kReleaseLease,      "ReleaseLease",      kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kSetReadOnly,       "SetReadOnly",       kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kControlKeepalived, "ControlKeepalived", kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kStopReplica,       "StopReplica",       kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kChangeMaster,      "ChangeMaster",      kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kStartReplica,      "StartReplica",      kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kBackupLocal,       "BackupLocal",       kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kAuthorizeTransfer, "AuthorizeTransfer", kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kImportFromPeer,    "ImportFromPeer",    kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kFetchDump,         "FetchDump",         kInvalid, true,  {kTls, kTls, kTls, kTls, kPeer, kPeer, kPass,  kPeer,  kPeer,  kTwo}},
  {Rpc::kBeginTransfer,     "BeginTransfer",     kInvalid, true,  {kTls, kTls, kTls, kTls, kPeer, kPeer, kPass,  kPeer,  kPeer,  kTwo}},
  {Rpc::kFetchPart,         "FetchPart",         kInvalid, false, {kTls, kTls, kTls, kTls, kPeer, kPeer, kPass,  kPeer,  kPeer,  kTwo}},
  {Rpc::kEndTransfer,       "EndTransfer",       kInvalid, true,  {kTls, kTls, kTls, kTls, kPeer, kPeer, kPass,  kPeer,  kPeer,  kTwo}},
  {Rpc::kDigestChunks,      "DigestChunks",      kInvalid, false, {kTls, kTls, kTls, kTls, kPeer, kPeer, kPass,  kPeer,  kPeer,  kTwo}},
  {Rpc::kTableChecksums,    "TableChecksums",    kOk,      false, {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kListBackups,       "ListBackups",       kOk,      false, {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kRestoreBackup,     "RestoreBackup",     kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
  {Rpc::kPruneBackups,      "PruneBackups",      kInvalid, true,  {kTls, kTls, kTls, kTls, kPass, kPass, kCoord, kCoord, kCoord, kTwo}},
};
// clang-format on
constexpr int kRpcCount = sizeof(kMatrix) / sizeof(kMatrix[0]);

struct Expected {
  grpc::StatusCode code;
  std::string message;  // a part of the refusal that names its reason ("" for none)
};

Expected ExpectedOf(const Row& row, Outcome outcome) {
  switch (outcome) {
    case Outcome::kHandshake:
      return {grpc::StatusCode::UNAVAILABLE, ""};
    case Outcome::kPasses:
      return {row.validation, ""};
    case Outcome::kCoordinatorOnly:
      return {grpc::StatusCode::PERMISSION_DENIED, "accept only the coordinator role"};
    case Outcome::kPeerAgentOnly:
      return {grpc::StatusCode::PERMISSION_DENIED, "accepts only the peer agent (db1)"};
    case Outcome::kTwoRoles:
      return {grpc::StatusCode::PERMISSION_DENIED, "conflicting roles"};
  }
  return {grpc::StatusCode::UNKNOWN, "unreachable"};
}

template <typename Reply>
grpc::Status Drain(std::unique_ptr<grpc::ClientReader<Reply>> reader) {
  Reply message;
  while (reader->Read(&message)) {
  }
  return reader->Finish();
}

v1::LeaseRequest Lease(const std::string& run_id, uint32_t ttl_seconds) {
  v1::LeaseRequest r;
  r.set_run_id(run_id);
  r.set_ttl_seconds(ttl_seconds);
  r.set_holder("security matrix");
  *r.mutable_instance() = TestInstance();
  return r;
}

class SecurityMatrixTest : public ClusterSuite,
                           public ::testing::WithParamInterface<std::tuple<int, int>> {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    StartCluster(options);
    if (cluster_ == nullptr) return;
    if (absl::Status prepared = Prepare(); !prepared.ok()) {
      *startup_error_ = prepared;
      TearDownTestSuite();
    }
  }

  static void TearDownTestSuite() {
    if (cluster_ != nullptr && stubs_[kCoordinator] != nullptr) {
      v1::LeaseReply reply;
      (void)stubs_[kCoordinator]->ReleaseLease(ContextWithDeadline(kCallTimeout).get(),
                                               Lease(kRun, 600), &reply);
    }
    for (auto& stub : stubs_) stub.reset();
    ClusterSuite::TearDownTestSuite();
  }

  // One stub per caller; the suite's lease on db2, and a backup there for the restore
  // and prune requests to name.
  static absl::Status Prepare() {
    const TestCerts& certs = cluster().certs();
    const std::string address = cluster().agent(kNode).address();
    std::map<Caller, absl::StatusOr<TlsFiles>> identities = {
        {kOtherCa, certs.ForeignCoordinator()},
        {kExpired, certs.ExpiredCoordinator()},
        {kNotYetValid, certs.NotYetValidCoordinator()},
        {kCoordinator, certs.Coordinator()},
        {kCoordinatorPlusForeignUri,
         certs.CoordinatorWithUris("coordinator-plus-foreign-uri",
                                   {"spiffe://corp.example/mmresync/coordinator"})},
        {kPeerAgent, certs.Agent("db1")},
        {kOutsiderAgent, certs.AgentCertificate("db3")},
        {kOwnAgent, certs.Agent("db2")},
        {kTwoRoleUris, certs.CoordinatorWithUris("two-role-uris", {"urn:mmresync:agent:db1"})},
    };
    for (auto& [caller, tls] : identities) {
      if (!tls.ok()) return Annotate(tls.status(), kCallerNames[caller]);
      ASSIGN_OR_RETURN(stubs_[caller], MakeAgentStub(address, *tls));
    }
    ASSIGN_OR_RETURN(stubs_[kNoCertificate],
                     MakeAgentStubWithoutCertificate(address, certs.ca_cert()));

    v1::Agent::Stub& coordinator = *stubs_[kCoordinator];
    v1::LeaseReply lease;
    grpc::Status taken =
        coordinator.AcquireLease(ContextWithDeadline(kCallTimeout).get(), Lease(kRun, 600), &lease);
    if (!taken.ok()) {
      return absl::InternalError(absl::StrCat("lease on db2: ", taken.error_message()));
    }
    v1::BackupRequest backup;
    backup.set_run_id(kRun);
    backup.set_mode("dump");
    grpc::Status backed_up =
        Drain(coordinator.BackupLocal(ContextWithDeadline(absl::Seconds(120)).get(), backup));
    if (!backed_up.ok()) {
      return absl::InternalError(absl::StrCat("backup on db2: ", backed_up.error_message()));
    }
    if (ListDir(cluster().agent(kNode).backup_dir()).empty()) {
      return absl::InternalError("backup on db2 reported written, but its directory is empty");
    }
    return absl::OkStatus();
  }

  // Everything on db2 the state-changing RPCs could change.
  static std::map<std::string, std::string> NodeState() {
    std::map<std::string, std::string> state;
    state["read_only"] = Value(kNode, "SELECT @@GLOBAL.read_only");
    state["schemas"] =
        Rows(kNode, "SELECT schema_name FROM information_schema.schemata ORDER BY 1");
    auto replica = pair().SlaveStatus(kNode);
    for (const char* key :
         {"Master_Host", "Master_Port", "Master_User", "Slave_IO_Running", "Slave_SQL_Running"}) {
      state[key] = replica.ok() ? (*replica)[key] : "<error>";
    }
    state["keepalived"] = cluster().keepalived_running(kNode) ? "running" : "stopped";
    state["state_dir"] = absl::StrJoin(ListDir(cluster().agent(kNode).state_dir()), ",");
    state["backups"] = absl::StrJoin(ListDir(cluster().agent(kNode).backup_dir()), ",");
    v1::StatusRequest brief;
    brief.set_brief(true);
    v1::NodeStatus status;
    grpc::Status read =
        stubs_[kCoordinator]->GetStatus(ContextWithDeadline(kCallTimeout).get(), brief, &status);
    state["lease"] =
        read.ok() ? absl::StrCat(status.lease_holder(), " held by ", status.lease_instance().id())
                  : "<error: " + read.error_message() + ">";
    return state;
  }

  // One call of `rpc`: with `acting`, a request that would act on db2 under the suite's
  // lease; without, one its validation refuses (nothing it names is usable).
  static grpc::Status Call(v1::Agent::Stub& stub, Rpc rpc, bool acting) {
    auto context = ContextWithDeadline(kCallTimeout);
    grpc::ClientContext* c = context.get();
    const std::string run = acting ? kRun : "";
    const std::string token = acting ? kToken : "not-a-token";
    const std::string session = acting ? kSessionId : "not-a-session";
    v1::ActionReply action;
    switch (rpc) {
      case Rpc::kGetStatus: {
        v1::StatusRequest r;
        r.set_brief(!acting);
        v1::NodeStatus reply;
        return stub.GetStatus(c, r, &reply);
      }
      case Rpc::kAcquireLease:
      case Rpc::kRenewLease:
      case Rpc::kReleaseLease: {
        // Acting: the suite's own run and instance (taken again, renewed, released).
        const v1::LeaseRequest r = acting ? Lease(kRun, 600) : Lease("", 1);
        v1::LeaseReply reply;
        return rpc == Rpc::kAcquireLease ? stub.AcquireLease(c, r, &reply)
               : rpc == Rpc::kRenewLease ? stub.RenewLease(c, r, &reply)
                                         : stub.ReleaseLease(c, r, &reply);
      }
      case Rpc::kSetReadOnly: {
        v1::SetReadOnlyRequest r;
        r.set_run_id(run);
        r.set_read_only(true);
        return stub.SetReadOnly(c, r, &action);
      }
      case Rpc::kControlKeepalived: {
        v1::KeepalivedRequest r;
        r.set_run_id(kRun);
        r.set_action(acting ? v1::KeepalivedRequest::STOP
                            : v1::KeepalivedRequest::ACTION_UNSPECIFIED);
        return stub.ControlKeepalived(c, r, &action);
      }
      case Rpc::kStopReplica: {
        v1::StopReplicaRequest r;
        r.set_run_id(run);
        return stub.StopReplica(c, r, &action);
      }
      case Rpc::kChangeMaster: {
        v1::ChangeMasterRequest r;
        r.set_run_id(kRun);
        r.set_master_host(pair().node(kDb1).host());
        r.set_master_port(acting ? pair().node(kDb1).port() : 0);
        r.mutable_coordinates()->set_file("mysql-bin.000001");
        r.mutable_coordinates()->set_position(4);
        r.set_use_gtid("no");
        return stub.ChangeMaster(c, r, &action);
      }
      case Rpc::kStartReplica: {
        v1::StartReplicaRequest r;
        r.set_run_id(run);
        return stub.StartReplica(c, r, &action);
      }
      case Rpc::kBackupLocal: {
        v1::BackupRequest r;
        r.set_run_id(kRun);
        r.set_mode(acting ? "dump" : "no-such-mode");
        return Drain(stub.BackupLocal(c, r));
      }
      case Rpc::kAuthorizeTransfer: {
        v1::AuthorizeTransferRequest r;
        r.set_run_id(kRun);
        r.set_token(token);
        r.set_peer_node("db1");
        return stub.AuthorizeTransfer(c, r, &action);
      }
      case Rpc::kImportFromPeer: {
        v1::ImportRequest r;
        r.set_run_id(kRun);
        r.set_source_agent(acting ? cluster().agent(kDb1).address() : "");
        r.set_source_node("db1");
        r.set_token(kToken);
        r.set_method("dump");
        return Drain(stub.ImportFromPeer(c, r));
      }
      case Rpc::kFetchDump: {
        v1::FetchDumpRequest r;
        r.set_run_id(kRun);
        r.set_token(token);
        return Drain(stub.FetchDump(c, r));
      }
      case Rpc::kBeginTransfer: {
        v1::BeginTransferRequest r;
        r.set_run_id(kRun);
        r.set_token(token);
        r.set_workers(1);
        v1::BeginTransferReply reply;
        return stub.BeginTransfer(c, r, &reply);
      }
      case Rpc::kFetchPart: {
        v1::FetchPartRequest r;
        r.set_session_id(session);
        return Drain(stub.FetchPart(c, r));
      }
      case Rpc::kEndTransfer: {
        v1::EndTransferRequest r;
        r.set_session_id(session);
        return stub.EndTransfer(c, r, &action);
      }
      case Rpc::kDigestChunks: {
        v1::DigestChunksRequest r;
        r.set_session_id(session);
        r.add_ranges();
        v1::DigestChunksReply reply;
        return stub.DigestChunks(c, r, &reply);
      }
      case Rpc::kTableChecksums: {
        v1::ChecksumRequest r;
        v1::ChecksumReply reply;
        return stub.TableChecksums(c, r, &reply);
      }
      case Rpc::kListBackups: {
        v1::ListBackupsRequest r;
        v1::ListBackupsReply reply;
        return stub.ListBackups(c, r, &reply);
      }
      case Rpc::kRestoreBackup: {
        v1::RestoreBackupRequest r;
        r.set_run_id(kRun);
        r.set_backup_run_id(run);
        return stub.RestoreBackup(c, r, &action);
      }
      case Rpc::kPruneBackups: {
        v1::PruneBackupsRequest r;
        r.set_run_id(kRun);
        r.set_keep(acting ? 0 : 100000);
        v1::PruneBackupsReply reply;
        return stub.PruneBackups(c, r, &reply);
      }
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "no such RPC in the matrix");
  }

  static std::unique_ptr<v1::Agent::Stub> stubs_[kCallerCount];
};

std::unique_ptr<v1::Agent::Stub> SecurityMatrixTest::stubs_[kCallerCount];

TEST_P(SecurityMatrixTest, AnswersAsTheContractSays) {
  const Row& row = kMatrix[std::get<0>(GetParam())];
  const Caller caller = static_cast<Caller>(std::get<1>(GetParam()));
  const Outcome outcome = row.by[caller];
  const Expected want = ExpectedOf(row, outcome);
  const bool allowed = outcome == Outcome::kPasses;

  const auto before = row.changes_state ? NodeState() : std::map<std::string, std::string>();
  // A refused caller sends what would act; an allowed one what its validation refuses.
  const grpc::Status got = Call(*stubs_[caller], row.rpc, /*acting=*/!allowed);
  EXPECT_EQ(got.error_code(), want.code) << row.name << " by " << kCallerNames[caller] << ": code "
                                         << got.error_code() << ": " << got.error_message();
  if (!want.message.empty()) {
    EXPECT_THAT(got.error_message(), ::testing::HasSubstr(want.message));
  }
  if (row.changes_state) {
    EXPECT_EQ(NodeState(), before) << row.name << " by " << kCallerNames[caller] << " changed db2";
  }
}

INSTANTIATE_TEST_SUITE_P(RpcByCaller, SecurityMatrixTest,
                         ::testing::Combine(::testing::Range(0, kRpcCount),
                                            ::testing::Range(0, int{kCallerCount})),
                         [](const ::testing::TestParamInfo<std::tuple<int, int>>& info) {
                           return absl::StrCat(kMatrix[std::get<0>(info.param)].name, "_By",
                                               kCallerNames[std::get<1>(info.param)]);
                         });

}  // namespace
}  // namespace mmresync::testing
