#include "common/poll_backoff.h"

#include "gtest/gtest.h"

namespace mmresync {
namespace {

constexpr absl::Duration kFar = absl::Hours(1);

// A condition that came true just after a check is seen after about the time already
// waited, not a whole fixed interval later: 20, 40, 80 ... ms, then the cap.
TEST(PollBackoffTest, StartsShortAndDoublesUpToTheCap) {
  PollBackoff b(absl::Milliseconds(200));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(20));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(40));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(80));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(160));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(200));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(200));
}

// The last check happens at the caller's deadline, and a deadline already passed never
// becomes a negative sleep.
TEST(PollBackoffTest, NeverSleepsPastTheDeadline) {
  PollBackoff b(absl::Milliseconds(500));
  EXPECT_EQ(b.Next(absl::Milliseconds(7)), absl::Milliseconds(7));
  EXPECT_EQ(b.Next(absl::ZeroDuration()), absl::ZeroDuration());
  EXPECT_EQ(b.Next(-absl::Seconds(1)), absl::ZeroDuration());
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(160));
}

// Tests configure a 1 ms poll: it stays 1 ms, not the default first step.
TEST(PollBackoffTest, ACapBelowTheFirstStepPollsAtTheCap) {
  PollBackoff b(absl::Milliseconds(1));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(1));
  EXPECT_EQ(b.Next(kFar), absl::Milliseconds(1));
  PollBackoff zero(absl::ZeroDuration());
  EXPECT_EQ(zero.Next(kFar), absl::Milliseconds(1));
}

}  // namespace
}  // namespace mmresync
