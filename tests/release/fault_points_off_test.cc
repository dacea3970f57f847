// The release configuration of the fault points (-DMMRESYNC_FAULT_POINTS=OFF), compiled
// from the same sources as the binaries but against a fault_config.h without
// MMRESYNC_FAULT_POINTS_ENABLED (tests/CMakeLists.txt): a point is no code at all, and
// arming is refused, whatever the environment says.

#include <stdlib.h>

#include "common/fault_point.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::fault {
namespace {

absl::Status PlaceWithAPoint() {
  MMRESYNC_FAULT_POINT("after_drop");
  MMRESYNC_FAULT_POINT_BYTES("target_stream", 1 << 20);
  return absl::OkStatus();
}

TEST(FaultPointsOffTest, TheBuildSaysItHasNone) {
  EXPECT_FALSE(CompiledIn());
  EXPECT_STREQ(BuildNote(), "");
}

TEST(FaultPointsOffTest, TheEnvironmentCannotArmThem) {
  ASSERT_EQ(setenv(kPointsVariable, "after_drop=fail;target_stream:1=fail", 1), 0);
  ASSERT_EQ(setenv(kDirVariable, "/tmp", 1), 0);
  absl::Status armed = ArmFromEnvironment();
  EXPECT_EQ(armed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(armed.message(), ::testing::HasSubstr("this build has no fault points"));
  EXPECT_EQ(Arm("after_drop=fail", "/tmp").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(PlaceWithAPoint().ok());
}

}  // namespace
}  // namespace mmresync::fault
