#include "agent/safety_guard.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

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
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kReadOnlyQuery[] = "SELECT @@GLOBAL.read_only";
constexpr char kVip[] = "10.0.0.100";

class FakeAddresses : public InterfaceAddresses {
 public:
  explicit FakeAddresses(absl::StatusOr<std::vector<std::string>> result)
      : result_(std::move(result)) {}
  absl::StatusOr<std::vector<std::string>> List() override {
    ++calls;
    return result_;
  }
  int calls = 0;

 private:
  absl::StatusOr<std::vector<std::string>> result_;
};

class FakeKeepalived : public KeepalivedController {
 public:
  explicit FakeKeepalived(absl::StatusOr<KeepalivedStatus> status) : status_(std::move(status)) {}
  std::string kind() const override { return "fake"; }
  absl::StatusOr<KeepalivedStatus> Status() override {
    ++status_calls;
    return status_;
  }
  absl::Status Start() override { return absl::UnimplementedError("not in this test"); }
  absl::Status Stop() override { return absl::UnimplementedError("not in this test"); }
  int status_calls = 0;

 private:
  absl::StatusOr<KeepalivedStatus> status_;
};

KeepalivedStatus Ka(bool managed, bool running, std::string detail = "") {
  KeepalivedStatus s;
  s.managed = managed;
  s.running = running;
  s.detail = std::move(detail);
  return s;
}

// A fenced node by default: VIP elsewhere, keepalived stopped, read_only ON.
class SafetyGuardTest : public ::testing::Test {
 protected:
  SafetyGuardTest() { script_.OnQuery(kReadOnlyQuery, Rows({"@@GLOBAL.read_only"}, {{"1"}})); }

  absl::Status Check() {
    SafetyInputs in;
    in.vip = vip_;
    in.addresses = &addresses_;
    in.keepalived = &keepalived_;
    in.session = &session_;
    in.lease = lease_;
    return CheckDestructiveAllowed(in, "DROP DATABASE");
  }
  void SetReadOnly(std::optional<std::string> value) {
    script_.OnQuery(kReadOnlyQuery, Rows({"@@GLOBAL.read_only"}, {{std::move(value)}}));
  }

  std::string vip_ = kVip;
  std::function<absl::Status()> lease_;
  FakeAddresses addresses_{std::vector<std::string>{"127.0.0.1", "10.0.0.2", "::1"}};
  FakeKeepalived keepalived_{Ka(true, false, "inactive")};
  FakeDbScript script_;
  FakeDbSession session_{&script_};
};

TEST_F(SafetyGuardTest, AllowsAFencedNode) {
  absl::Status s = Check();
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(addresses_.calls, 1);
  EXPECT_EQ(keepalived_.status_calls, 1);
}

TEST_F(SafetyGuardTest, RefusesWhenTheVipIsLocal) {
  addresses_ = FakeAddresses(std::vector<std::string>{"127.0.0.1", "10.0.0.2", kVip});
  absl::Status s = Check();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing DROP DATABASE"), HasSubstr("VIP"), HasSubstr(kVip)));
  // Refused on the VIP alone: the database was not even asked.
  EXPECT_THAT(script_.statements(), IsEmpty());
}

TEST_F(SafetyGuardTest, RefusesWhenTheVipIsLocalEvenIfOtherwiseFenced) {
  addresses_ = FakeAddresses(std::vector<std::string>{kVip});
  keepalived_ = FakeKeepalived(Ka(false, false, "none"));
  EXPECT_TRUE(absl::IsFailedPrecondition(Check()));
}

TEST_F(SafetyGuardTest, AddressListErrorRefuses) {
  addresses_ = FakeAddresses(absl::InternalError("getifaddrs: out of memory"));
  absl::Status s = Check();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(script_.statements(), IsEmpty());
}

TEST_F(SafetyGuardTest, InvalidVipRefuses) {
  vip_ = "not-an-ip";
  EXPECT_FALSE(Check().ok());
}

TEST_F(SafetyGuardTest, NoVipConfiguredSkipsTheAddressCheck) {
  vip_ = "";
  absl::Status s = Check();
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(addresses_.calls, 0);
}

TEST_F(SafetyGuardTest, RefusesWhenManagedKeepalivedRuns) {
  keepalived_ = FakeKeepalived(Ka(true, true, "active"));
  absl::Status s = Check();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("keepalived"), HasSubstr("active")));
  EXPECT_THAT(script_.statements(), IsEmpty());
}

TEST_F(SafetyGuardTest, UnmanagedKeepalivedIsNotAReason) {
  keepalived_ = FakeKeepalived(Ka(false, false, "none"));
  EXPECT_TRUE(Check().ok());
}

TEST_F(SafetyGuardTest, KeepalivedStateUnknownRefuses) {
  keepalived_ = FakeKeepalived(absl::DeadlineExceededError("systemctl timed out"));
  absl::Status s = Check();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(script_.statements(), IsEmpty());
}

TEST_F(SafetyGuardTest, RefusesWhenReadOnlyIsOff) {
  SetReadOnly("0");
  absl::Status s = Check();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("read_only is OFF"));
}

TEST_F(SafetyGuardTest, RefusesWhenReadOnlyIsUnknown) {
  SetReadOnly(std::nullopt);
  EXPECT_TRUE(absl::IsFailedPrecondition(Check()));
  script_.OnQuery(kReadOnlyQuery, Rows({"@@GLOBAL.read_only"}, {}));
  EXPECT_TRUE(absl::IsFailedPrecondition(Check()));
  script_.Fail(kReadOnlyQuery, absl::UnavailableError("ERROR 2006: server has gone away"));
  EXPECT_FALSE(Check().ok());
}

TEST_F(SafetyGuardTest, RefusesWithoutTheRunsLease) {
  int lease_checks = 0;
  lease_ = [&] {
    ++lease_checks;
    return absl::FailedPreconditionError("run r1 holds no lease on this node (expired)");
  };
  absl::Status s = Check();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing DROP DATABASE"), HasSubstr("run r1 holds no lease")));
  EXPECT_EQ(lease_checks, 1);

  lease_ = [&] {
    ++lease_checks;
    return absl::OkStatus();
  };
  EXPECT_TRUE(Check().ok());
  EXPECT_EQ(lease_checks, 2);
}

TEST_F(SafetyGuardTest, VipOnlyCheckForBackups) {
  EXPECT_TRUE(CheckVipNotLocal(kVip, addresses_, "backup").ok());
  FakeAddresses holder(std::vector<std::string>{"127.0.0.1", kVip});
  absl::Status s = CheckVipNotLocal(kVip, holder, "a full backup");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing a full backup"), HasSubstr("holds the VIP")));
  FakeAddresses broken(absl::InternalError("getifaddrs: out of memory"));
  s = CheckVipNotLocal(kVip, broken, "a full backup");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("cannot tell"));
  FakeAddresses unused(std::vector<std::string>{kVip});
  EXPECT_TRUE(CheckVipNotLocal("", unused, "backup").ok());
  EXPECT_EQ(unused.calls, 0);
}

// The guard reads read_only on the acting session (so the check ran at all) and does
// nothing else there.
TEST_F(SafetyGuardTest, OnlyReads) {
  ASSERT_TRUE(Check().ok());
  EXPECT_THAT(script_.statements(), ::testing::ElementsAre(kReadOnlyQuery));
}

}  // namespace
}  // namespace mmresync::agent
