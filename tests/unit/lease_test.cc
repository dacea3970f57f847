#include "agent/lease.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A clock the test moves by hand.
class ManualClock {
 public:
  absl::Time Now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }
  std::function<absl::Time()> Fn() {
    return [this] { return now_; };
  }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

v1::CoordinatorInstance Inst(const std::string& id, const std::string& user,
                             const std::string& host) {
  v1::CoordinatorInstance in;
  in.set_id(id);
  in.set_user(user);
  in.set_host(host);
  in.set_pid(4242);
  in.set_started_unix_ms(1700000000000);
  return in;
}
const v1::CoordinatorInstance kAlice = Inst("alice-1", "alice", "ops1");
const v1::CoordinatorInstance kBob = Inst("bob-1", "bob", "ops2");

class LeaseTableTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  LeaseTable table_{clock_.Fn()};
};

TEST_F(LeaseTableTest, FreeAtStart) {
  EXPECT_TRUE(table_.Current().run_id.empty());
  absl::Status s = table_.Check("run-a", "alice-1");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
}

TEST_F(LeaseTableTest, AcquireThenCheck) {
  auto lease = table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30));
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->run_id, "run-a");
  EXPECT_EQ(lease->holder, "alice@ops1");
  EXPECT_EQ(lease->expires, clock_.Now() + absl::Seconds(30));
  EXPECT_TRUE(table_.Check("run-a", "alice-1").ok());
  EXPECT_EQ(table_.Current().run_id, "run-a");
}

TEST_F(LeaseTableTest, HeldByRunFollowsTheRunUntilItsLeaseExpires) {
  EXPECT_FALSE(table_.HeldByRun("run-a"));
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  EXPECT_TRUE(table_.HeldByRun("run-a"));
  EXPECT_FALSE(table_.HeldByRun("run-b"));
  clock_.Advance(absl::Seconds(31));
  EXPECT_FALSE(table_.HeldByRun("run-a"));
}

TEST_F(LeaseTableTest, SecondRunRefusedNamingTheHolder) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  clock_.Advance(absl::Seconds(10));
  auto second = table_.Acquire("run-b", "bob@ops2", kBob, absl::Seconds(30));
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_THAT(Msg(second.status()), AllOf(HasSubstr("run-a"), HasSubstr("alice@ops1"),
                                          HasSubstr("alice-1"), HasSubstr("20s")));
  // The first lease is untouched.
  EXPECT_EQ(table_.Current().run_id, "run-a");
  EXPECT_EQ(table_.Current().holder, "alice@ops1");
  EXPECT_TRUE(table_.Check("run-a", "alice-1").ok());

  absl::Status check = table_.Check("run-b", "bob-1");
  EXPECT_TRUE(absl::IsFailedPrecondition(check));
  EXPECT_THAT(Msg(check), AllOf(HasSubstr("run-a"), HasSubstr("alice@ops1")));
}

TEST_F(LeaseTableTest, SameRunAcquiresAgainAsRenewal) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  clock_.Advance(absl::Seconds(20));
  auto again = table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->expires, clock_.Now() + absl::Seconds(30));
}

TEST_F(LeaseTableTest, ExpiryFreesTheLease) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  clock_.Advance(absl::Seconds(30) - absl::Nanoseconds(1));
  EXPECT_TRUE(table_.Check("run-a", "alice-1").ok());
  EXPECT_FALSE(table_.Acquire("run-b", "bob@ops2", kBob, absl::Seconds(30)).ok());

  clock_.Advance(absl::Nanoseconds(1));  // exactly at expiry: gone
  EXPECT_TRUE(table_.Current().run_id.empty());
  absl::Status check = table_.Check("run-a", "alice-1");
  EXPECT_TRUE(absl::IsFailedPrecondition(check));
  EXPECT_THAT(Msg(check), HasSubstr("expired"));

  auto second = table_.Acquire("run-b", "bob@ops2", kBob, absl::Seconds(30));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(table_.Current().run_id, "run-b");
  EXPECT_EQ(table_.Current().holder, "bob@ops2");
  EXPECT_FALSE(table_.Check("run-a", "alice-1").ok());
}

TEST_F(LeaseTableTest, RenewByHolderExtends) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  clock_.Advance(absl::Seconds(25));
  auto renewed = table_.Renew("run-a", "alice-1", absl::Seconds(30));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->expires, clock_.Now() + absl::Seconds(30));
  EXPECT_EQ(renewed->holder, "alice@ops1");
  clock_.Advance(absl::Seconds(25));  // 50s after acquire, 25s after renew
  EXPECT_TRUE(table_.Check("run-a", "alice-1").ok());
}

TEST_F(LeaseTableTest, RenewByWrongRunRefused) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  auto renewed = table_.Renew("run-b", "alice-1", absl::Seconds(300));
  ASSERT_FALSE(renewed.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(renewed.status()));
  EXPECT_THAT(Msg(renewed.status()), HasSubstr("run-b"));
  // Nothing changed: the holder's lease still ends at 30s.
  EXPECT_EQ(table_.Current().run_id, "run-a");
  EXPECT_EQ(table_.Current().expires, clock_.Now() + absl::Seconds(30));
}

TEST_F(LeaseTableTest, RenewAfterExpiryRefused) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  clock_.Advance(absl::Seconds(31));
  auto renewed = table_.Renew("run-a", "alice-1", absl::Seconds(30));
  EXPECT_FALSE(renewed.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(renewed.status()));
  EXPECT_TRUE(table_.Current().run_id.empty());
}

TEST_F(LeaseTableTest, RenewOfNothingRefused) {
  EXPECT_FALSE(table_.Renew("run-a", "alice-1", absl::Seconds(30)).ok());
}

TEST_F(LeaseTableTest, ReleaseOnlyByHolder) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  EXPECT_TRUE(table_.Release("run-b", "alice-1").ok());  // not an error, but changes nothing
  EXPECT_EQ(table_.Current().run_id, "run-a");
  EXPECT_FALSE(table_.Acquire("run-b", "bob@ops2", kBob, absl::Seconds(30)).ok());

  EXPECT_TRUE(table_.Release("run-a", "alice-1").ok());
  EXPECT_TRUE(table_.Current().run_id.empty());
  EXPECT_FALSE(table_.Check("run-a", "alice-1").ok());
  EXPECT_TRUE(table_.Acquire("run-b", "bob@ops2", kBob, absl::Seconds(30)).ok());
}

// A second coordinator on the *same* run (a `recover --resume` while the first still
// runs) is refused, names the holder, and changes nothing.
TEST_F(LeaseTableTest, SameRunOtherInstanceRefused) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(60)).ok());
  clock_.Advance(absl::Seconds(15));
  auto second = table_.Acquire("run-a", "bob@ops2", kBob, absl::Seconds(60));
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_THAT(Msg(second.status()),
              AllOf(HasSubstr("another coordinator"), HasSubstr("alice-1"), HasSubstr("alice@ops1"),
                    HasSubstr("pid 4242"), HasSubstr("45s")));
  EXPECT_EQ(table_.Current().instance.id(), "alice-1");
  // Its RPCs, renewals and releases under the run id do nothing either.
  absl::Status check = table_.Check("run-a", "bob-1");
  EXPECT_TRUE(absl::IsFailedPrecondition(check)) << check;
  EXPECT_THAT(Msg(check), AllOf(HasSubstr("bob-1"), HasSubstr("alice-1")));
  EXPECT_FALSE(table_.Check("run-a", "").ok());
  EXPECT_FALSE(table_.Renew("run-a", "bob-1", absl::Seconds(60)).ok());
  EXPECT_TRUE(table_.Release("run-a", "bob-1").ok());
  EXPECT_EQ(table_.Current().instance.id(), "alice-1");
  EXPECT_EQ(table_.Current().expires, clock_.Now() + absl::Seconds(45));
  EXPECT_TRUE(table_.Check("run-a", "alice-1").ok());
}

TEST_F(LeaseTableTest, TakeOverOnlyFromTheNamedInstance) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(60)).ok());
  EXPECT_FALSE(table_.Acquire("run-a", "bob@ops2", kBob, absl::Seconds(60), "someone-else").ok());
  EXPECT_FALSE(table_.Acquire("run-b", "bob@ops2", kBob, absl::Seconds(60), "alice-1").ok())
      << "a take-over is for the same run only";
  auto taken = table_.Acquire("run-a", "bob@ops2", kBob, absl::Seconds(60), "alice-1");
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(table_.Current().instance.id(), "bob-1");
  // The old holder has lost it: its calls and renewals are refused from now on.
  EXPECT_FALSE(table_.Check("run-a", "alice-1").ok());
  EXPECT_FALSE(table_.Renew("run-a", "alice-1", absl::Seconds(60)).ok());
  EXPECT_TRUE(table_.Check("run-a", "bob-1").ok());
}

TEST_F(LeaseTableTest, ExpiredLeaseOfTheSameRunIsFreeForAnotherInstance) {
  ASSERT_TRUE(table_.Acquire("run-a", "alice@ops1", kAlice, absl::Seconds(30)).ok());
  clock_.Advance(absl::Seconds(30));
  auto taken = table_.Acquire("run-a", "bob@ops2", kBob, absl::Seconds(30));
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(table_.Current().instance.id(), "bob-1");
}

TEST(ValidateInstanceTest, AlphabetsAndDescription) {
  EXPECT_TRUE(ValidateInstance(kAlice).ok());
  for (auto bad :
       {Inst("", "u", "h"), Inst("a b", "u", "h"), Inst(std::string(65, 'a'), "u", "h"),
        Inst("i", "u", ""), Inst("i", "u", "h\nINFO forged"), Inst("i", "u\x1b[2J", "h")}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateInstance(bad))) << bad.ShortDebugString();
  }
  EXPECT_TRUE(ValidateInstanceId("take_over_from", "alice-1").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateInstanceId("take_over_from", "a;b")));
  EXPECT_EQ(DescribeInstance(kAlice),
            "coordinator alice-1 (alice@ops1, pid 4242, started 2023-11-14 22:13:20 UTC)");
}

class TransferTokensTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  TransferTokens tokens_{clock_.Fn()};
  const std::string token_ = std::string(64, 'a');
};

TEST_F(TransferTokensTest, OneTimeUse) {
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(60));
  EXPECT_TRUE(tokens_.Consume(token_, "db2", "run-a").ok());
  absl::Status again = tokens_.Consume(token_, "db2", "run-a");
  EXPECT_TRUE(absl::IsPermissionDenied(again)) << again;
}

TEST_F(TransferTokensTest, UnknownTokenRefused) {
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(60));
  EXPECT_TRUE(absl::IsPermissionDenied(tokens_.Consume(std::string(64, 'b'), "db2", "run-a")));
  EXPECT_TRUE(absl::IsPermissionDenied(tokens_.Consume("", "db2", "run-a")));
}

TEST_F(TransferTokensTest, WrongPeerRefused) {
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(60));
  absl::Status s = tokens_.Consume(token_, "db3", "run-a");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("db2"), HasSubstr("db3")));
  // A refused attempt does not use the token up for the rightful peer.
  EXPECT_TRUE(tokens_.Consume(token_, "db2", "run-a").ok());
}

TEST_F(TransferTokensTest, WrongRunRefused) {
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(60));
  absl::Status s = tokens_.Consume(token_, "db2", "run-b");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(Msg(s), HasSubstr("run-b"));
  EXPECT_TRUE(tokens_.Consume(token_, "db2", "run-a").ok());
}

TEST_F(TransferTokensTest, ExpiredTokenRefused) {
  const std::string early(64, 'e');
  tokens_.Authorize(early, "db2", "run-a", absl::Seconds(60));
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(60));
  clock_.Advance(absl::Seconds(60) - absl::Nanoseconds(1));
  EXPECT_TRUE(tokens_.Consume(early, "db2", "run-a").ok());  // still valid just before the end
  clock_.Advance(absl::Nanoseconds(1));
  absl::Status s = tokens_.Consume(token_, "db2", "run-a");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(Msg(s), HasSubstr("expired"));
}

TEST_F(TransferTokensTest, ReauthorizeReplacesPeerAndRun) {
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(60));
  tokens_.Authorize(token_, "db3", "run-b", absl::Seconds(60));
  EXPECT_FALSE(tokens_.Consume(token_, "db2", "run-a").ok());
  EXPECT_TRUE(tokens_.Consume(token_, "db3", "run-b").ok());
}

TEST_F(TransferTokensTest, ExpiredTokensArePurgedOnAuthorize) {
  const std::string other(64, 'c');
  tokens_.Authorize(token_, "db2", "run-a", absl::Seconds(10));
  clock_.Advance(absl::Seconds(11));
  tokens_.Authorize(other, "db2", "run-a", absl::Seconds(10));
  EXPECT_FALSE(tokens_.Consume(token_, "db2", "run-a").ok());
  EXPECT_TRUE(tokens_.Consume(other, "db2", "run-a").ok());
}

// A token dies with its run's lease: released, expired or taken by another run.
TEST(TransferTokensLeaseTest, TokenDiesWithItsRunsLease) {
  ManualClock clock;
  LeaseTable leases(clock.Fn());
  TransferTokens tokens(clock.Fn(),
                        [&](const std::string& run_id) { return leases.HeldByRun(run_id); });
  const std::string token(64, 'a');
  const std::string other(64, 'b');
  ASSERT_TRUE(leases.Acquire("run-a", "test", kAlice, absl::Seconds(30)).ok());
  tokens.Authorize(token, "db2", "run-a", absl::Minutes(10));
  tokens.Authorize(other, "db2", "run-a", absl::Minutes(10));
  EXPECT_TRUE(tokens.Consume(token, "db2", "run-a").ok());

  clock.Advance(absl::Seconds(31));  // the lease expired, the token has minutes left
  absl::Status s = tokens.Consume(other, "db2", "run-a");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_THAT(Msg(s), HasSubstr("lease"));
  // Gone for good: the same run taking the lease again does not revive it.
  ASSERT_TRUE(leases.Acquire("run-a", "test", kAlice, absl::Seconds(30)).ok());
  EXPECT_FALSE(tokens.Consume(other, "db2", "run-a").ok());
}

TEST(TransferTokensLeaseTest, DropRunForgetsOnlyThatRun) {
  TransferTokens tokens;
  const std::string a(64, 'a'), b(64, 'b');
  tokens.Authorize(a, "db2", "run-a", absl::Minutes(10));
  tokens.Authorize(b, "db2", "run-b", absl::Minutes(10));
  tokens.DropRun("run-a");
  EXPECT_FALSE(tokens.Consume(a, "db2", "run-a").ok());
  EXPECT_TRUE(tokens.Consume(b, "db2", "run-b").ok());
}

}  // namespace
}  // namespace mmresync::agent
