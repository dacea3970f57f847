// The canonical row encoding the delta method compares by: values that differ in any
// way (NULL, '', 'NULL', a shifted column boundary, the order of rows) never encode the
// same.

#include "agent/row_digest.h"

#include <algorithm>
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

TEST(RowDigestTest, LengthIsEightBytesLittleEndian) {
  std::string out;
  const std::string x(0x10203, 'v');
  AppendCanonicalRow({std::optional<absl::string_view>(x)}, &out);
  ASSERT_EQ(out.size(), 9 + x.size());
  EXPECT_EQ(out.substr(0, 9), std::string("\1\3\2\1\0\0\0\0\0", 9));
}

TEST(RowDigestTest, CountsRowsAndValueBytes) {
  RowDigest d;
  const std::string v = "abcd";
  d.Add({std::optional<absl::string_view>(v), std::nullopt});
  d.Add({std::nullopt, std::nullopt});
  EXPECT_EQ(d.rows(), 2u);
  EXPECT_EQ(d.bytes(), 4u);
}

// Agents of different versions compare digests: the value is fixed by the encoding above,
// whatever blocks the rows are hashed in (computed independently with Python's hashlib).
TEST(RowDigestTest, KnownAnswerForThreeRows) {
  EXPECT_EQ(Digest({{std::string("a"), std::nullopt},
                    {std::string("bc"), std::string()},
                    {std::string("\0\1\xff\0\1\xff\0\1\xff", 9), std::string("NULL")}}),
            "6551fc4e934a642c462b5ada0a3527806ed03dae588a2339f28996b13e5afea7");
}

TEST(RowDigestTest, ManyRowsHashAsTheirWholeEncoding) {
  RowDigest d;
  std::string whole;
  for (int i = 0; i < 20000; ++i) {
    const std::string v = std::string(i % 97, 'x') + std::to_string(i);
    DbSession::RowValues row = {std::optional<absl::string_view>(v), std::nullopt};
    d.Add(row);
    AppendCanonicalRow(row, &whole);
  }
  ASSERT_GT(whole.size(), 1u << 20);  // many hash blocks
  Sha256 sha;
  sha.Update(whole);
  EXPECT_EQ(d.Hex(), sha.HexDigest());
  // Hex does not end the digest: more rows continue it.
  const std::string last = "last";
  d.Add({std::optional<absl::string_view>(last)});
  AppendCanonicalRow({std::optional<absl::string_view>(last)}, &whole);
  Sha256 again;
  again.Update(whole);
  EXPECT_EQ(d.Hex(), again.HexDigest());
}

// The digest streams the encoding into fixed blocks and hashes long values where they
// lie: values of every length around the block's edges and the in-place threshold, and
// NULLs between them, hash exactly as the encoding written out whole.
TEST(RowDigestTest, LongValuesAndBlockEdgesHashAsTheWholeEncoding) {
  RowDigest d;
  std::string whole;
  uint64_t bytes = 0;
  for (int i = 0; i < 3000; ++i) {
    const size_t lengths[] = {0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 200000};
    const std::string v(i % 7 == 0 ? lengths[(i / 7) % 9] : static_cast<size_t>(i % 131),
                        static_cast<char>('a' + i % 26));
    DbSession::RowValues row = {std::optional<absl::string_view>(v), std::nullopt,
                                std::optional<absl::string_view>(v.substr(0, i % 5))};
    d.Add(row);
    AppendCanonicalRow(row, &whole);
    bytes += v.size() + std::min<size_t>(v.size(), i % 5);
  }
  Sha256 sha;
  sha.Update(whole);
  EXPECT_EQ(d.Hex(), sha.HexDigest());
  EXPECT_EQ(d.bytes(), bytes);
  EXPECT_EQ(d.rows(), 3000u);
}

}  // namespace
}  // namespace mmresync::agent
