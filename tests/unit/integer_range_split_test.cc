// The source's one-statement digests of a run of integer-key ranges: every range gets the
// digest it would get read on its own (a key equal to an upper bound in that range, empty
// ranges empty), and anything that is not such a run is left to a statement per range.

#include "agent/integer_range_split.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::HasSubstr;

TableKey IntKey() { return {"PRIMARY", {KeyColumn{"id", KeyColumn::Kind::kInteger, "", ""}}}; }

v1::KeyRange Range(std::optional<std::string> lower, std::optional<std::string> upper) {
  v1::KeyRange r;
  if (lower) r.add_lower(*lower);
  if (upper) r.add_upper(*upper);
  return r;
}

// Rows of (payload, id): the key is the second selected column.
struct Row {
  std::string payload;
  std::string id;
};

DbSession::RowValues Values(const Row& r) {
  return {std::optional<absl::string_view>(r.payload), std::optional<absl::string_view>(r.id)};
}

std::optional<absl::int128> Int(absl::string_view s) { return ParseKeyInteger(s); }

constexpr v1::RowEncoding kCompact = v1::ROW_ENCODING_COMPACT;

// What a statement per range gives: the rows whose key is in (lower, upper].
RangeSummary OnItsOwn(const std::vector<Row>& rows, const v1::KeyRange& range,
                      v1::RowEncoding encoding) {
  RowDigest d(encoding);
  for (const Row& r : rows) {
    const absl::int128 k = *Int(r.id);
    if (range.lower_size() > 0 && k <= *Int(range.lower(0))) continue;
    if (range.upper_size() > 0 && k > *Int(range.upper(0))) continue;
    d.Add(Values(r));
  }
  return {d.Hex(), d.rows(), d.bytes()};
}

class IntegerRangeSplitEncodingTest : public ::testing::TestWithParam<v1::RowEncoding> {};

// In the session's encoding, whichever it is.
TEST_P(IntegerRangeSplitEncodingTest, EachRangeGetsTheDigestItWouldGetOnItsOwn) {
  // Negative keys, a key on each upper bound, an empty range in the middle, BIGINT
  // UNSIGNED's largest value and ZEROFILL's leading zeros in the last, unbounded range.
  const std::vector<v1::KeyRange> ranges = {Range(std::nullopt, "-5"), Range("-5", "10"),
                                            Range("10", "20"), Range("20", "30"),
                                            Range("30", std::nullopt)};
  const std::vector<Row> rows = {{"a", "-9223372036854775808"},
                                 {"b", "-5"},
                                 {"c", "-4"},
                                 {"d", "10"},
                                 {"e", "11"},
                                 {"f", "20"},
                                 {"g", "0031"},
                                 {"h", "18446744073709551615"}};
  auto run = IntegerRangeSplitter::ForRun(IntKey(), 1, ranges, GetParam());
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(run->has_value());
  EXPECT_EQ((*run)->span().lower_size(), 0);
  EXPECT_EQ((*run)->span().upper_size(), 0);
  for (const Row& r : rows) ASSERT_TRUE((*run)->Add(Values(r)).ok()) << r.id;
  const std::vector<RangeSummary> got = (*run)->Finish();
  ASSERT_EQ(got.size(), ranges.size());
  const std::vector<uint64_t> counts = {2, 2, 2, 0, 2};
  for (size_t i = 0; i < ranges.size(); ++i) {
    const RangeSummary want = OnItsOwn(rows, ranges[i], GetParam());
    EXPECT_EQ(got[i].sha256, want.sha256) << "range " << i;
    EXPECT_EQ(got[i].rows, counts[i]) << "range " << i;
    EXPECT_EQ(got[i].rows, want.rows) << "range " << i;
    EXPECT_EQ(got[i].bytes, want.bytes) << "range " << i;
  }
  // And not in the other one: a range with rows digests differently.
  const v1::RowEncoding other = GetParam() == kCompact ? v1::ROW_ENCODING_FIXED_LENGTH : kCompact;
  EXPECT_NE(got[1].sha256, OnItsOwn(rows, ranges[1], other).sha256);
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, IntegerRangeSplitEncodingTest,
                         ::testing::Values(v1::ROW_ENCODING_FIXED_LENGTH,
                                           v1::ROW_ENCODING_COMPACT));

TEST(IntegerRangeSplitTest, TheStatementCoversTheRunFromItsFirstLowerToItsLastUpper) {
  auto run =
      IntegerRangeSplitter::ForRun(IntKey(), 0, {Range("1", "5"), Range("5", "9")}, kCompact);
  ASSERT_TRUE(run.ok() && run->has_value());
  ASSERT_EQ((*run)->span().lower_size(), 1);
  ASSERT_EQ((*run)->span().upper_size(), 1);
  EXPECT_EQ((*run)->span().lower(0), "1");
  EXPECT_EQ((*run)->span().upper(0), "9");
  // No rows at all: both ranges are empty digests, like an empty statement's.
  const std::vector<RangeSummary> got = (*run)->Finish();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].sha256, RowDigest(kCompact).Hex());
  EXPECT_EQ(got[1].rows, 0u);
}

TEST(IntegerRangeSplitTest, WhatIsNotARunOfIntegerRangesIsLeftToAStatementPerRange) {
  const std::vector<v1::KeyRange> run = {Range("1", "5"), Range("5", "9")};
  TableKey text = IntKey();
  text.columns[0].kind = KeyColumn::Kind::kString;
  TableKey composite = IntKey();
  composite.columns.push_back(KeyColumn{"b", KeyColumn::Kind::kInteger, "", ""});
  for (const auto& [what, key, ranges] :
       std::vector<std::tuple<std::string, TableKey, std::vector<v1::KeyRange>>>{
           {"one range", IntKey(), {Range("1", "5")}},
           {"a string key", text, run},
           {"a composite key", composite, run},
           {"a gap", IntKey(), {Range("1", "5"), Range("6", "9")}},
           {"an unbounded middle", IntKey(), {Range("1", std::nullopt), Range(std::nullopt, "9")}},
           {"bounds going back", IntKey(), {Range("1", "5"), Range("5", "3"), Range("3", "9")}},
           {"a last upper below the run",
            IntKey(),
            {Range("1", "5"), Range("5", "9"), Range("9", "3")}},
           {"a first lower above its upper", IntKey(), {Range("7", "5"), Range("5", "9")}},
           {"a first lower that is no integer", IntKey(), {Range("x", "5"), Range("5", "9")}}}) {
    auto split = IntegerRangeSplitter::ForRun(key, 0, ranges, kCompact);
    ASSERT_TRUE(split.ok()) << what << ": " << split.status();
    EXPECT_FALSE(split->has_value()) << what;
  }
}

TEST(IntegerRangeSplitTest, ABoundThatIsNotAnIntegerIsRefused) {
  auto split = IntegerRangeSplitter::ForRun(IntKey(), 0,
                                            {Range("1", "5 OR 1"), Range("5 OR 1", "9")}, kCompact);
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(split.status().message(), HasSubstr("not an integer"));
}

TEST(IntegerRangeSplitTest, RowsOutOfOrderOrWithoutAnIntegerKeyAreErrors) {
  auto run =
      IntegerRangeSplitter::ForRun(IntKey(), 1, {Range("1", "5"), Range("5", "9")}, kCompact);
  ASSERT_TRUE(run.ok() && run->has_value());
  ASSERT_TRUE((*run)->Add(Values({"x", "4"})).ok());
  EXPECT_THAT((*run)->Add(Values({"x", "3"})).message(), HasSubstr("ascending"));
  EXPECT_THAT((*run)->Add(Values({"x", "4"})).message(), HasSubstr("ascending"));
  EXPECT_THAT((*run)->Add(Values({"x", "7.5"})).message(), HasSubstr("not an integer"));
  EXPECT_THAT((*run)->Add({std::optional<absl::string_view>("x"), std::nullopt}).message(),
              HasSubstr("without its key"));
}

TEST(IntegerRangeSplitTest, KeyIntegersAreExactlyTheServersDecimalText) {
  EXPECT_EQ(Int("0"), absl::int128(0));
  EXPECT_EQ(Int("-1"), absl::int128(-1));
  EXPECT_EQ(Int("0000000042"), absl::int128(42));
  EXPECT_EQ(Int("-9223372036854775808"), absl::int128(INT64_MIN));
  EXPECT_EQ(Int("18446744073709551615"), absl::int128(UINT64_MAX));
  EXPECT_EQ(Int("000000000018446744073709551615"), absl::int128(UINT64_MAX));
  EXPECT_EQ(Int("-0"), absl::int128(0));
  for (const char* bad :
       {"", "-", "+1", " 1", "1 ", "1.0", "0x10", "1e3", "abc", "--1", "1-", "-+1",
        "18446744073709551616", "99999999999999999999", "184467440737095516150",
        "-9223372036854775809", "-18446744073709551615"}) {
    EXPECT_EQ(Int(bad), std::nullopt) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace mmresync::agent
