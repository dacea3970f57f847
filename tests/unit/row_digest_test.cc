// The canonical row encoding the delta method compares by: values that differ in any
// way (NULL, '', 'NULL', a shifted column boundary, the order of rows) never encode the
// same.

#include "agent/row_digest.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using Row = std::vector<std::optional<std::string>>;

std::string Digest(const std::vector<Row>& rows) {
  RowDigest d;
  for (const auto& row : rows) {
    DbSession::RowValues values;
    for (const auto& v : row) {
      values.push_back(v ? std::optional<absl::string_view>(*v) : std::nullopt);
    }
    d.Add(values);
  }
  return d.Hex();
}

TEST(RowDigestTest, NullEmptyAndTheWordNullAreThreeDifferentValues) {
  std::set<std::string> digests = {Digest({{std::nullopt}}), Digest({{std::string()}}),
                                   Digest({{std::string("NULL")}}), Digest({{std::string("\\N")}})};
  EXPECT_EQ(digests.size(), 4u);
}

TEST(RowDigestTest, ColumnAndRowBoundariesCannotShift) {
  std::set<std::string> digests = {
      Digest({{std::string("ab"), std::string("c")}}),
      Digest({{std::string("a"), std::string("bc")}}),
      Digest({{std::string("abc"), std::string()}}),
      Digest({{std::string("abc"), std::nullopt}}),
      // A value holding what looks like a marker does not move the boundary.
      Digest({{std::string("a"), std::string("\1b")}}),
      Digest({{std::string("a\1"), std::string("b")}}),
  };
  EXPECT_EQ(digests.size(), 6u);
  // The same values as one two-row chunk or as other rows.
  EXPECT_NE(Digest({{std::string("a")}, {std::string("b")}}),
            Digest({{std::string("b")}, {std::string("a")}}));
  EXPECT_EQ(Digest({{std::string("a")}, {std::string("b")}}),
            Digest({{std::string("a")}, {std::string("b")}}));
}

TEST(RowDigestTest, EncodingIsMarkerLengthAndBytes) {
  std::string out;
  const std::string x = "xy";
  AppendCanonicalRow({std::optional<absl::string_view>(x), std::nullopt}, &out);
  EXPECT_EQ(out, std::string("\1\2\0\0\0\0\0\0\0xy\0", 12));
}

TEST(RowDigestTest, CountsRowsAndValueBytes) {
  RowDigest d;
  const std::string v = "abcd";
  d.Add({std::optional<absl::string_view>(v), std::nullopt});
  d.Add({std::nullopt, std::nullopt});
  EXPECT_EQ(d.rows(), 2u);
  EXPECT_EQ(d.bytes(), 4u);
}

}  // namespace
}  // namespace mmresync::agent
