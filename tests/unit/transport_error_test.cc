#include "coordinator/transport_error.h"

#include "coordinator/diagnosis.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Messages as gRPC 1.51 words them (seen in the integration tests).
constexpr char kRefused[] =
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:7443: Failed to "
    "connect to remote host: Connection refused";
constexpr char kVerify[] =
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:7443: Ssl "
    "handshake failed: SSL_ERROR_SSL: error:1000007d:SSL routines:OPENSSL_internal:"
    "CERTIFICATE_VERIFY_FAILED";
constexpr char kClosed[] =
    "failed to connect to all addresses; last error: UNAVAILABLE: ipv4:127.0.0.1:7443: Socket "
    "closed";

// An established connection cut under a call (the agent killed, or this process
// suspended past the agent's idle timeout): the same "Socket closed" without the
// connecting prefix, or the kernel's words for a write to a closed socket.
constexpr char kCutSocketClosed[] = "Socket closed";
constexpr char kCutBrokenPipe[] = "Broken pipe";
constexpr char kCutReset[] = "Connection reset by peer";

NodeEntry Db2() {
  NodeEntry n;
  n.name = "db2";
  n.agent = "127.0.0.1:7443";
  return n;
}

TlsFiles Tls() { return TlsFiles{"/etc/mmresync/ca.pem", "/etc/mmresync/c.pem", "/k"}; }

TEST(TransportErrorTest, Classifies) {
  EXPECT_EQ(ClassifyTransportFailure(kRefused, false), TransportFailure::kRefused);
  EXPECT_EQ(ClassifyTransportFailure(kVerify, false), TransportFailure::kTlsVerify);
  EXPECT_EQ(ClassifyTransportFailure(kClosed, false), TransportFailure::kTlsRejected);
  EXPECT_EQ(ClassifyTransportFailure("Deadline Exceeded", true), TransportFailure::kNoAnswer);
  EXPECT_EQ(ClassifyTransportFailure("DNS resolution failed for nohost:1", false),
            TransportFailure::kNameLookup);
  EXPECT_EQ(ClassifyTransportFailure("something new", false), TransportFailure::kOther);
  EXPECT_EQ(ClassifyTransportFailure(kCutSocketClosed, false), TransportFailure::kDropped);
  EXPECT_EQ(ClassifyTransportFailure(kCutBrokenPipe, false), TransportFailure::kDropped);
  EXPECT_EQ(ClassifyTransportFailure(kCutReset, false), TransportFailure::kDropped);
}

TEST(TransportErrorTest, ACutConnectionIsNotBlamedOnCertificates) {
  for (const char* cut : {kCutSocketClosed, kCutBrokenPipe, kCutReset}) {
    std::string text = ExplainTransportFailure(cut, false, Db2(), "w", Tls());
    EXPECT_THAT(text, HasSubstr("the connection to the agent at 127.0.0.1:7443 (w) was cut"))
        << cut;
    EXPECT_THAT(text, HasSubstr("whether the call took effect on db2 is unknown")) << cut;
    EXPECT_THAT(text, Not(HasSubstr("TLS"))) << cut;
  }
}

TEST(TransportErrorTest, StoppedAgentSaysWhereItWasDialled) {
  std::string text = ExplainTransportFailure(kRefused, false, Db2(), "c.toml [[node]] db2", Tls());
  EXPECT_THAT(text, HasSubstr("no mmresync-agent answers at 127.0.0.1:7443 (c.toml [[node]] db2)"));
  EXPECT_THAT(text, HasSubstr("mmresync-agent must be running on db2"));
  EXPECT_THAT(text, HasSubstr("[grpc: failed to connect"));  // details kept, at the end
}

TEST(TransportErrorTest, TlsFailuresNameTheFiles) {
  std::string verify = ExplainTransportFailure(kVerify, false, Db2(), "w", Tls());
  EXPECT_THAT(verify, HasSubstr("does not verify against tls.ca = /etc/mmresync/ca.pem"));
  EXPECT_THAT(verify, HasSubstr("another CA, or it has expired"));
  std::string closed = ExplainTransportFailure(kClosed, false, Db2(), "w", Tls());
  EXPECT_THAT(closed, HasSubstr("does not accept this coordinator's certificate tls.cert = "
                                "/etc/mmresync/c.pem"));
  EXPECT_THAT(closed, Not(HasSubstr("no mmresync-agent answers")));
}

TEST(TransportErrorTest, RolesNameTheUnreachableAgentFirst) {
  PairView view;
  view.nodes[0].entry.name = "db1";
  view.nodes[1].entry = Db2();
  view.nodes[0].status = v1::NodeStatus();
  view.nodes[1].status = absl::UnavailableError("db2: status: no mmresync-agent answers at x");
  auto roles = ChooseRoles(view, std::nullopt);
  ASSERT_FALSE(roles.ok());
  EXPECT_THAT(std::string(roles.status().message()),
              ::testing::StartsWith("db2's agent is unreachable, so which node holds the VIP "
                                    "cannot be told: db2: status: no mmresync-agent answers at x"));
}

}  // namespace
}  // namespace mmresync::coordinator
