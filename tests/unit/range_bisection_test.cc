// Bisection of differing key ranges against two in-memory tables: a few divergent rows
// in a large table come out as a few small ranges, whatever the table's size.

#include "agent/range_bisection.h"

#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/row_digest.h"
#include "gtest/gtest.h"
#include "int_key_table.h"

namespace mmresync::agent {
namespace {

using Table = fakes::IntKeyTable;
using fakes::InIntRange;

class FakeOracle : public RangeOracle {
 public:
  FakeOracle(const Table& source, const Table& target) : source_(source), target_(target) {}
  absl::StatusOr<std::vector<RangeSummary>> Source(
      const std::vector<v1::KeyRange>& ranges) override {
    return fakes::IntKeySummaries(source_, ranges);
  }
  absl::StatusOr<std::vector<RangeSummary>> Target(
      const std::vector<v1::KeyRange>& ranges) override {
    return fakes::IntKeySummaries(target_, ranges);
  }
  absl::StatusOr<std::vector<std::string>> TargetKeyAt(const v1::KeyRange& range,
                                                       uint64_t n) override {
    for (const auto& [k, v] : target_) {
      if (InIntRange(k, range) && --n == 0) return std::vector<std::string>{absl::StrCat(k)};
    }
    return absl::InternalError("no such row");
  }

 private:
  const Table& source_;
  const Table& target_;
};

Table Rows(int n) {
  Table t;
  for (int i = 1; i <= n; ++i) t[2 * i] = absl::StrCat("row ", i);
  return t;
}

std::vector<v1::KeyRange> Chunks(const Table& target, int every) {
  std::vector<std::vector<std::string>> boundaries;
  int i = 0;
  for (const auto& [k, v] : target) {
    if (++i % every == 0) boundaries.push_back({absl::StrCat(k)});
  }
  return RangesBetween(boundaries);
}

// The source's rows inside the ranges: what the repair would move.
int RowsIn(const Table& t, const std::vector<v1::KeyRange>& ranges) {
  int n = 0;
  for (const auto& [k, v] : t) {
    for (const auto& r : ranges) n += InIntRange(k, r) ? 1 : 0;
  }
  return n;
}

TEST(RangeBisectionTest, EqualTablesCompareOnlyTheFirstChunks) {
  Table t = Rows(20000);
  FakeOracle oracle(t, t);
  BisectionStats stats;
  auto ranges = FindDifferingRanges(Chunks(t, 1000), oracle, 1, &stats);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  EXPECT_TRUE(ranges->empty());
  EXPECT_EQ(stats.compared, 21u);  // 20 boundaries, 21 ranges (the last one past the end)
}

TEST(RangeBisectionTest, AFewDivergentRowsBecomeAFewSmallRanges) {
  Table source = Rows(20000);
  Table target = source;
  target[1000] = "changed";
  target.erase(5000);
  target[5001] = "extra inside";
  target[99999] = "extra past the end";
  source[39998] = "changed on the source";
  FakeOracle oracle(source, target);
  BisectionStats stats;
  auto ranges = FindDifferingRanges(Chunks(target, 1000), oracle, 1, &stats);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  // Every divergent key is in some range...
  for (int key : {1000, 5000, 5001, 99999, 39998}) {
    bool covered = false;
    for (const auto& r : *ranges) covered = covered || InIntRange(key, r);
    EXPECT_TRUE(covered) << key;
  }
  // ...and the ranges hold few rows: at most one target row each.
  EXPECT_LE(ranges->size(), 5u);
  EXPECT_LE(RowsIn(source, *ranges), 2 * 5);
  EXPECT_LE(RowsIn(target, *ranges), 5);
  // Bisection reads log2(chunk) rounds per divergence, not the table again.
  EXPECT_LT(stats.compared, 21u + 5u * 2u * 12u);
}

TEST(RangeBisectionTest, AnEmptyTargetTableIsOneRangeWithEverything) {
  Table source = Rows(100);
  Table target;
  FakeOracle oracle(source, target);
  BisectionStats stats;
  auto ranges = FindDifferingRanges(Chunks(target, 1000), oracle, 1, &stats);
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  ASSERT_EQ(ranges->size(), 1u);
  EXPECT_EQ(RowsIn(source, *ranges), 100);
}

TEST(RangeBisectionTest, RangesBetweenCoverTheKeySpaceOnce) {
  auto ranges = RangesBetween({{"10"}, {"20"}});
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_TRUE(ranges[0].lower().empty());
  EXPECT_EQ(ranges[0].upper(0), "10");
  EXPECT_EQ(ranges[1].lower(0), "10");
  EXPECT_EQ(ranges[1].upper(0), "20");
  EXPECT_EQ(ranges[2].lower(0), "20");
  EXPECT_TRUE(ranges[2].upper().empty());
}

TEST(RangeBisectionTest, ZeroLeafRowsIsRefused) {
  Table t = Rows(10);
  FakeOracle oracle(t, t);
  BisectionStats stats;
  EXPECT_TRUE(absl::IsInvalidArgument(FindDifferingRanges({}, oracle, 0, &stats).status()));
}

}  // namespace
}  // namespace mmresync::agent
