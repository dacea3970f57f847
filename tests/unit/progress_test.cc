#include "coordinator/progress.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// What the progress line and the step's note say about compression.
TEST(CompressionTextTest, SaysWhatCompressionDid) {
  EXPECT_EQ(CompressionText("auto", 3100, 1000), "zstd auto 3.1x");
  EXPECT_EQ(CompressionText("zstd 3", 2000, 1000), "zstd 3 2.0x");
  EXPECT_EQ(CompressionText("auto", 1000, 1000), "auto: uncompressed");
  EXPECT_EQ(CompressionText("auto", 0, 0), "auto: uncompressed");
  EXPECT_EQ(CompressionText("none", 1000, 1000), "");
  EXPECT_EQ(CompressionText("", 1000, 500), "") << "an agent that does not say";
}

TEST(RateMeterTest, UnknownAtFirst) {
  RateMeter m;
  EXPECT_EQ(m.BytesPerSecond(), 0);
  EXPECT_EQ(m.Eta(0, 1000), absl::ZeroDuration());
  m.Add(0, kT0);  // one sample is no rate yet
  EXPECT_EQ(m.BytesPerSecond(), 0);
  EXPECT_EQ(m.Eta(0, 1000), absl::ZeroDuration());
}

TEST(RateMeterTest, RateAndEta) {
  RateMeter m;
  m.Add(0, kT0);
  m.Add(1000, kT0 + absl::Seconds(1));
  EXPECT_DOUBLE_EQ(m.BytesPerSecond(), 1000);
  EXPECT_EQ(m.Eta(1000, 11000), absl::Seconds(10));
  EXPECT_EQ(m.Eta(11000, 11000), absl::ZeroDuration());  // done
  EXPECT_EQ(m.Eta(12000, 11000), absl::ZeroDuration());  // past an underestimated total
  EXPECT_EQ(m.Eta(1000, 0), absl::ZeroDuration());       // total unknown
}

TEST(RateMeterTest, SmoothsTowardsTheNewRate) {
  RateMeter m;
  m.Add(0, kT0);
  m.Add(1000, kT0 + absl::Seconds(1));  // 1000 B/s
  m.Add(4000, kT0 + absl::Seconds(2));  // instant 3000 B/s
  EXPECT_DOUBLE_EQ(m.BytesPerSecond(), 0.7 * 1000 + 0.3 * 3000);
}

TEST(RateMeterTest, IgnoresSamplesTooCloseTogether) {
  RateMeter m;
  m.Add(0, kT0);
  m.Add(1000000, kT0 + absl::Milliseconds(100));  // too soon: ignored
  EXPECT_EQ(m.BytesPerSecond(), 0);
  m.Add(1000, kT0 + absl::Seconds(1));  // measured from the first sample
  EXPECT_DOUBLE_EQ(m.BytesPerSecond(), 1000);
}

TEST(RateMeterTest, BytesGoingBackwardsCountAsNoProgress) {
  RateMeter m;
  m.Add(5000, kT0);
  m.Add(6000, kT0 + absl::Seconds(1));
  m.Add(100, kT0 + absl::Seconds(2));  // a new phase restarted the count
  EXPECT_DOUBLE_EQ(m.BytesPerSecond(), 0.7 * 1000);
}

TEST(RateMeterTest, Reset) {
  RateMeter m;
  m.Add(0, kT0);
  m.Add(1000, kT0 + absl::Seconds(1));
  m.Reset();
  EXPECT_EQ(m.BytesPerSecond(), 0);
  m.Add(50000, kT0 + absl::Seconds(5));  // first sample again
  EXPECT_EQ(m.BytesPerSecond(), 0);
}

TEST(FormatClockTest, MinutesAndHours) {
  EXPECT_EQ(FormatClock(absl::ZeroDuration()), "0:00");
  EXPECT_EQ(FormatClock(absl::Seconds(5)), "0:05");
  EXPECT_EQ(FormatClock(absl::Milliseconds(59999)), "0:59");
  EXPECT_EQ(FormatClock(absl::Seconds(62)), "1:02");
  EXPECT_EQ(FormatClock(absl::Seconds(3599)), "59:59");
  EXPECT_EQ(FormatClock(absl::Seconds(3600)), "1:00:00");
  EXPECT_EQ(FormatClock(absl::Seconds(3723)), "1:02:03");
  EXPECT_EQ(FormatClock(absl::Hours(100) + absl::Seconds(1)), "100:00:01");
}

}  // namespace
}  // namespace mmresync::coordinator
