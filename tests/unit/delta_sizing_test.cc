#include "common/delta_sizing.h"

#include "gtest/gtest.h"

namespace mmresync {
namespace {

// By default more lanes than cores (comparing waits on page reads), never fewer than 4
// nor more than the cap; an explicit --workers is taken as given within 1..the cap.
TEST(CompareLanesTest, DefaultIsTwiceTheCoresWithinFourAndTheCap) {
  EXPECT_EQ(CompareLanes(0, 0), 4u);  // hardware_concurrency may not know
  EXPECT_EQ(CompareLanes(0, 1), 4u);
  EXPECT_EQ(CompareLanes(0, 2), 4u);
  EXPECT_EQ(CompareLanes(0, 3), 6u);
  EXPECT_EQ(CompareLanes(0, 64), kMaxCompareLanes);
}

TEST(CompareLanesTest, ExplicitWorkersAreKeptWithinOneAndTheCap) {
  EXPECT_EQ(CompareLanes(1, 16), 1u);
  EXPECT_EQ(CompareLanes(3, 1), 3u);
  EXPECT_EQ(CompareLanes(32, 2), kMaxCompareLanes);
}

}  // namespace
}  // namespace mmresync
