#include "coordinator/coordinator_instance.h"

#include <unistd.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kStartedMs = 1700000000000;

v1::CoordinatorInstance Instance(const std::string& id, const std::string& host, uint32_t pid) {
  v1::CoordinatorInstance in;
  in.set_id(id);
  in.set_host(host);
  in.set_user("alice");
  in.set_pid(pid);
  in.set_started_unix_ms(kStartedMs);
  return in;
}

ProcessProbe Probe(bool alive, std::optional<absl::Time> started = std::nullopt) {
  ProcessProbe p;
  p.alive = [alive](uint32_t) { return alive; };
  p.started = [started](uint32_t) { return started; };
  return p;
}

v1::NodeStatus Leased(const std::string& run, const v1::CoordinatorInstance& holder) {
  v1::NodeStatus s;
  s.set_node("db2");
  s.set_lease_holder(run);
  *s.mutable_lease_instance() = holder;
  s.set_lease_expires_in_ms(41500);
  return s;
}

const v1::CoordinatorInstance kMe = Instance("me", "ops1", 200);

TEST(CoordinatorInstanceTest, ThisInstanceIsStableAndValid) {
  const v1::CoordinatorInstance& a = ThisInstance();
  EXPECT_EQ(&a, &ThisInstance());
  EXPECT_EQ(a.id().size(), 24u);
  EXPECT_EQ(a.pid(), static_cast<uint32_t>(getpid()));
  EXPECT_FALSE(a.host().empty());
  EXPECT_GT(a.started_unix_ms(), 0);
  EXPECT_LE(absl::FromUnixMillis(a.started_unix_ms()), absl::Now());
}

TEST(CoordinatorInstanceTest, GoneOnlyOnTheSameHostWithItsProcessDead) {
  const auto holder = Instance("them", "ops1", 100);
  EXPECT_TRUE(HolderProvablyGone(holder, kMe, Probe(false)));
  EXPECT_FALSE(HolderProvablyGone(holder, kMe, Probe(true)));
  // Another host: its processes cannot be seen from here.
  EXPECT_FALSE(HolderProvablyGone(Instance("them", "ops2", 100), kMe, Probe(false)));
  EXPECT_FALSE(
      HolderProvablyGone(Instance("them", "", 100), Instance("me", "", 200), Probe(false)));
  EXPECT_FALSE(HolderProvablyGone(Instance("them", "ops1", 0), kMe, Probe(false)));
}

TEST(CoordinatorInstanceTest, AReusedPidIsGone) {
  const auto holder = Instance("them", "ops1", 100);
  const absl::Time started = absl::FromUnixMillis(kStartedMs);
  EXPECT_TRUE(HolderProvablyGone(holder, kMe, Probe(true, started + absl::Minutes(5))));
  EXPECT_FALSE(HolderProvablyGone(holder, kMe, Probe(true, started + absl::Seconds(1))));
  EXPECT_FALSE(HolderProvablyGone(holder, kMe, Probe(true, std::nullopt)));
}

TEST(CoordinatorInstanceTest, TakeOverOnlyFromAGoneHolderOfTheSameRun) {
  const auto holder = Instance("them", "ops1", 100);
  auto free = TakeOverFrom(v1::NodeStatus(), "run-a", kMe, Probe(true));
  ASSERT_TRUE(free.ok());
  EXPECT_EQ(*free, "");
  auto other_run = TakeOverFrom(Leased("run-b", holder), "run-a", kMe, Probe(false));
  ASSERT_TRUE(other_run.ok());
  EXPECT_EQ(*other_run, "") << "another run's lease is the agent's to refuse";
  auto mine = TakeOverFrom(Leased("run-a", kMe), "run-a", kMe, Probe(true));
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(*mine, "");
  auto gone = TakeOverFrom(Leased("run-a", holder), "run-a", kMe, Probe(false));
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, "them");
}

TEST(CoordinatorInstanceTest, ALiveHolderIsNamedWithItsHostAndExpiry) {
  auto here =
      TakeOverFrom(Leased("run-a", Instance("them", "ops1", 100)), "run-a", kMe, Probe(true));
  ASSERT_FALSE(here.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(here.status())) << here.status();
  EXPECT_THAT(
      std::string(here.status().message()),
      AllOf(HasSubstr("db2: run run-a is being run by coordinator them"), HasSubstr("alice@ops1"),
            HasSubstr("pid 100"), HasSubstr("started 2023-11-14 22:13:20 UTC"),
            HasSubstr("lease expires in 41s"), HasSubstr("still runs here")));
  auto elsewhere =
      TakeOverFrom(Leased("run-a", Instance("them", "ops2", 100)), "run-a", kMe, Probe(false));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_THAT(std::string(elsewhere.status().message()),
              AllOf(HasSubstr("alice@ops2"), HasSubstr("another host (ops2)")));
}

}  // namespace
}  // namespace mmresync::coordinator
