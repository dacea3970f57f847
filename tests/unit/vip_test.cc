#include "agent/vip.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class FakeAddresses : public InterfaceAddresses {
 public:
  explicit FakeAddresses(absl::StatusOr<std::vector<std::string>> result)
      : result_(std::move(result)) {}
  absl::StatusOr<std::vector<std::string>> List() override {
    ++calls_;
    return result_;
  }
  int calls() const { return calls_; }

 private:
  absl::StatusOr<std::vector<std::string>> result_;
  int calls_ = 0;
};

bool IsLocal(const std::string& vip, std::vector<std::string> listed) {
  FakeAddresses addrs(std::move(listed));
  absl::StatusOr<bool> local = VipIsLocal(vip, addrs);
  EXPECT_TRUE(local.ok()) << vip << ": " << local.status();
  return local.ok() && *local;
}

const std::vector<std::string> kHost = {"127.0.0.1", "10.0.0.1", "::1", "fe80::5054:ff:fe12:3456"};

TEST(VipIsLocalTest, EmptyVipIsNeverLocalAndListsNothing) {
  FakeAddresses addrs(kHost);
  absl::StatusOr<bool> local = VipIsLocal("", addrs);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_FALSE(*local);
  EXPECT_EQ(addrs.calls(), 0);
}

TEST(VipIsLocalTest, Ipv4) {
  std::vector<std::string> with_vip = kHost;
  with_vip.push_back("10.0.0.100");
  EXPECT_TRUE(IsLocal("10.0.0.100", with_vip));
  EXPECT_FALSE(IsLocal("10.0.0.100", kHost));
  EXPECT_FALSE(IsLocal("10.0.0.10", {"10.0.0.100", "10.0.0.1"}));  // no prefix matching
  EXPECT_FALSE(IsLocal("10.0.0.100", {}));
}

TEST(VipIsLocalTest, Ipv6ComparedInBinaryForm) {
  EXPECT_TRUE(IsLocal("::1", {"0:0::1"}));
  EXPECT_TRUE(IsLocal("0:0:0:0:0:0:0:1", {"::1"}));
  EXPECT_TRUE(IsLocal("2001:DB8::100", {"10.0.0.1", "2001:db8:0:0:0:0:0:100"}));
  EXPECT_TRUE(IsLocal("2001:db8::0100", {"2001:db8::100"}));
  EXPECT_FALSE(IsLocal("2001:db8::101", {"2001:db8::100"}));
}

TEST(VipIsLocalTest, FamiliesNeverMatchEachOther) {
  EXPECT_FALSE(IsLocal("10.0.0.100", {"::ffff:10.0.0.100"}));
  EXPECT_FALSE(IsLocal("::ffff:10.0.0.100", {"10.0.0.100"}));
  EXPECT_TRUE(IsLocal("::ffff:10.0.0.100", {"::ffff:a00:64"}));
}

TEST(VipIsLocalTest, ScopeSuffixIgnoredAndGarbageSkipped) {
  EXPECT_TRUE(IsLocal("fe80::1", {"fe80::1%eth0"}));
  EXPECT_TRUE(IsLocal("10.0.0.100", {"", "not-an-address", "10.0.0.100/24", "10.0.0.100"}));
  EXPECT_FALSE(IsLocal("10.0.0.100", {"10.0.0.100/24", "garbage"}));
}

TEST(VipIsLocalTest, InvalidVipIsInvalidArgument) {
  for (const char* vip : {"10.0.0.300", "10.0.0", "db1", "10.0.0.100/24", " 10.0.0.100",
                          "fe80::1%eth0", "::1::2", "localhost"}) {
    FakeAddresses addrs(kHost);
    absl::StatusOr<bool> local = VipIsLocal(vip, addrs);
    ASSERT_FALSE(local.ok()) << vip;
    EXPECT_EQ(local.status().code(), absl::StatusCode::kInvalidArgument) << vip;
    EXPECT_THAT(std::string(local.status().message()), HasSubstr(vip));
  }
}

TEST(VipIsLocalTest, ListErrorIsPassedOn) {
  FakeAddresses addrs(absl::InternalError("getifaddrs: Too many open files"));
  absl::StatusOr<bool> local = VipIsLocal("10.0.0.100", addrs);
  ASSERT_FALSE(local.ok());
  EXPECT_EQ(local.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(local.status().message()), HasSubstr("getifaddrs"));
}

// The real kernel: loopback always carries 127.0.0.1 (and only 127.0.0.1/8 as an
// address, so other 127.x addresses are routed to lo but are not assigned).
TEST(KernelInterfaceAddressesTest, FindsLoopback) {
  KernelInterfaceAddresses addrs;
  absl::StatusOr<std::vector<std::string>> listed = addrs.List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, Contains("127.0.0.1"));
  std::vector<std::string> sorted = *listed;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "duplicates";

  absl::StatusOr<bool> local = VipIsLocal("127.0.0.1", addrs);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_TRUE(*local);
  local = VipIsLocal("127.0.0.100", addrs);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_FALSE(*local);
}

}  // namespace
}  // namespace mmresync::agent
