#include "agent/peer_pin.h"

#include <string>

#include "absl/status/status.h"
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

PeerSettings Peer(std::string host, uint32_t port = 3306) {
  PeerSettings p;
  p.name = "db2";
  p.mariadb_host = std::move(host);
  p.mariadb_port = port;
  p.agent = "10.0.0.2:7443";
  return p;
}

TEST(PeerPinTest, IpAddressesCompareInBinaryForm) {
  EXPECT_TRUE(IsPinnedPeer(Peer("10.0.0.2"), "10.0.0.2", 3306));
  EXPECT_TRUE(IsPinnedPeer(Peer("2001:db8::2"), "2001:DB8:0:0::2", 3306));
  EXPECT_TRUE(IsPinnedPeer(Peer("::1"), "0:0:0:0:0:0:0:1", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("10.0.0.2"), "10.0.0.3", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("10.0.0.2"), "::ffff:10.0.0.2", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("10.0.0.2"), "10.0.0.2", 3307));
  EXPECT_FALSE(IsPinnedPeer(Peer("10.0.0.2", 3307), "10.0.0.2", 3306));
}

TEST(PeerPinTest, NamesCompareCaseInsensitivelyAndNeverEqualAnAddress) {
  EXPECT_TRUE(IsPinnedPeer(Peer("db2.example.com"), "DB2.Example.com", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("db2.example.com"), "db2.example.com.evil", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("db2.example.com"), "10.0.0.2", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("10.0.0.2"), "db2.example.com", 3306));
  EXPECT_FALSE(IsPinnedPeer(Peer("10.0.0.2"), "", 3306));
}

TEST(PeerPinTest, ChangeMasterElsewhereIsPermissionDeniedNamingThePeer) {
  EXPECT_TRUE(CheckMasterIsPeer(Peer("10.0.0.2"), "10.0.0.2", 3306).ok());
  absl::Status s = CheckMasterIsPeer(Peer("10.0.0.2"), "203.0.113.9", 3306);
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing CHANGE MASTER to 203.0.113.9:3306"),
                    HasSubstr("pinned peer db2 at 10.0.0.2:3306"), HasSubstr("[peer]")));
  s = CheckMasterIsPeer(Peer("2001:db8::2"), "2001:db8::66", 3306);
  EXPECT_THAT(std::string(s.message()), HasSubstr("[2001:db8::66]:3306"));
}

TEST(PeerPinTest, StartSlaveOnlyTowardThePeer) {
  FakeDbScript script;
  FakeDbSession session(&script);
  script.OnQuery("SHOW SLAVE STATUS", Rows({"Master_Host", "Master_Port"}, {{"10.0.0.2", "3306"}}));
  EXPECT_TRUE(CheckConfiguredMasterIsPeer(session, Peer("10.0.0.2")).ok());

  script.OnQuery("SHOW SLAVE STATUS",
                 Rows({"Master_Host", "Master_Port"}, {{"198.51.100.4", "3306"}}));
  absl::Status s = CheckConfiguredMasterIsPeer(session, Peer("10.0.0.2"));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing START SLAVE"), HasSubstr("198.51.100.4:3306")));

  script.OnQuery("SHOW SLAVE STATUS",
                 Rows({"Master_Host", "Master_Port"}, {{"10.0.0.2", "99999"}}));
  EXPECT_FALSE(CheckConfiguredMasterIsPeer(session, Peer("10.0.0.2")).ok());
  script.OnQuery("SHOW SLAVE STATUS", Rows({"Master_Host", "Master_Port"}));
  s = CheckConfiguredMasterIsPeer(session, Peer("10.0.0.2"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("no master is configured"));
  script.Fail("SHOW SLAVE STATUS", absl::UnavailableError("ERROR 2006"));
  EXPECT_FALSE(CheckConfiguredMasterIsPeer(session, Peer("10.0.0.2")).ok());
  // Only reads.
  for (const auto& statement : script.statements()) EXPECT_EQ(statement, "SHOW SLAVE STATUS");
}

TEST(PeerPinTest, TransfersOnlyWithThePeer) {
  EXPECT_TRUE(CheckPeerNode(Peer("10.0.0.2"), "source_node", "db2").ok());
  absl::Status s = CheckPeerNode(Peer("10.0.0.2"), "source_node", "db3");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("invalid source_node"), HasSubstr("db3"), HasSubstr("db2")));
}

}  // namespace
}  // namespace mmresync::agent
