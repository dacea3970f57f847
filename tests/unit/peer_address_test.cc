// compression auto is off between agents on one host: which callers count as this host.
#include "agent/peer_address.h"

#include "gtest/gtest.h"

namespace mmresync {
namespace {

class FixedAddresses : public agent::InterfaceAddresses {
 public:
  absl::StatusOr<std::vector<std::string>> List() override {
    return std::vector<std::string>{"10.1.2.3", "fe80::1%eth0", "2001:db8::5"};
  }
};

TEST(PeerAddressTest, ReadsTheAddressOutOfAGrpcPeer) {
  EXPECT_EQ(*agent::PeerIp("ipv4:10.0.0.2:5000"), "10.0.0.2");
  EXPECT_EQ(*agent::PeerIp("ipv6:[2001:db8::5]:443"), "2001:db8::5");
  for (const char* bad : {"unix:/run/x.sock", "ipv4:", "ipv6:[::1", "10.0.0.2:5000", ""}) {
    EXPECT_FALSE(agent::PeerIp(bad).ok()) << bad;
  }
}

TEST(PeerAddressTest, LoopbackAndOwnAddressesAreThisHost) {
  FixedAddresses addrs;
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv4:127.0.0.1:1", addrs));
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv4:127.8.9.10:1", addrs));
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv6:[::1]:1", addrs));
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv6:[::ffff:127.0.0.1]:1", addrs));
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv4:10.1.2.3:1", addrs));
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv6:[::ffff:10.1.2.3]:1", addrs));
  EXPECT_TRUE(*agent::PeerIsThisHost("ipv6:[2001:db8::5]:1", addrs));
  EXPECT_FALSE(*agent::PeerIsThisHost("ipv4:10.1.2.4:1", addrs));
  EXPECT_FALSE(*agent::PeerIsThisHost("ipv6:[2001:db8::6]:1", addrs));
  EXPECT_FALSE(agent::PeerIsThisHost("unix:/x", addrs).ok());
}

}  // namespace
}  // namespace mmresync
