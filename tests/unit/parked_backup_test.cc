// The parking schemas of a run have the same names in every agent process: a resume
// after an agent restart must find the run's earlier parking (and refuse to park again).
#include "agent/parked_backup.h"

#include "gtest/gtest.h"

namespace mmresync {
namespace {

TEST(ParkedSchemaNameTest, IsTheSameInEveryProcess) {
  // The first 8 hex digits of SHA-256("20261130T134252-507bed"): a per-process seeded
  // hash would give another name in each run of this test binary.
  EXPECT_EQ(agent::ParkedSchemaName("20261130T134252-507bed", 0), "mmr_park_ed783d25_0");
  EXPECT_EQ(agent::ParkedSchemaName("20261130T134252-507bed", 3), "mmr_park_ed783d25_3");
  EXPECT_NE(agent::ParkedSchemaName("20261130T134252-507bee", 0), "mmr_park_ed783d25_0");
}

}  // namespace
}  // namespace mmresync
