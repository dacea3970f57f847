#include "common/gtid_list.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(GtidListTest, ParsesAndFormats) {
  absl::StatusOr<std::vector<Gtid>> list = ParseGtidList("1-1-20, 2-2-7");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, ElementsAre(Gtid{1, 1, 20}, Gtid{2, 2, 7}));
  EXPECT_EQ(FormatGtidList(*list), "1-1-20,2-2-7");
  ASSERT_TRUE(ParseGtidList("").ok());
  EXPECT_TRUE(ParseGtidList("")->empty());
}

TEST(GtidListTest, RefusesWhatIsNotDomainServerSequence) {
  for (const char* bad : {"1-1", "1-1-x", "1-1-2,", ",1-1-2", "1-1-2,,2-2-3", "1-1-2' OR 1"}) {
    absl::StatusOr<std::vector<Gtid>> list = ParseGtidList(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(list.status())) << bad;
    EXPECT_THAT(std::string(list.status().message()), HasSubstr("domain-server-sequence")) << bad;
  }
}

// Per domain the higher sequence number wins, whichever list it is in; a domain in one
// list only is kept; the result is sorted by domain.
TEST(GtidListTest, NewestPerDomain) {
  std::vector<Gtid> target = {{2, 2, 50}, {1, 1, 520}};
  std::vector<Gtid> own = {{1, 1, 600}, {5, 1, 3}};
  EXPECT_THAT(NewestPerDomain(target, own),
              ElementsAre(Gtid{1, 1, 600}, Gtid{2, 2, 50}, Gtid{5, 1, 3}));
  // The requested position is kept where it is ahead (the target's own newer writes).
  EXPECT_THAT(NewestPerDomain({{1, 1, 700}}, {{1, 1, 600}}), ElementsAre(Gtid{1, 1, 700}));
  EXPECT_TRUE(NewestPerDomain({}, {}).empty());
}

}  // namespace
}  // namespace mmresync
