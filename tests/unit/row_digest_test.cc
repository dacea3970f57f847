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

constexpr v1::RowEncoding kFixed = v1::ROW_ENCODING_FIXED_LENGTH;
constexpr v1::RowEncoding kCompact = v1::ROW_ENCODING_COMPACT;

std::string Digest(const std::vector<Row>& rows, v1::RowEncoding encoding = kFixed) {
  RowDigest d(encoding);
  for (const auto& row : rows) {
    DbSession::RowValues values;
    for (const auto& v : row) {
      values.push_back(v ? std::optional<absl::string_view>(*v) : std::nullopt);
    }
    d.Add(values);
  }
  return d.Hex();
}

class RowEncodingTest : public ::testing::TestWithParam<v1::RowEncoding> {};

TEST_P(RowEncodingTest, NullEmptyAndTheWordNullAreThreeDifferentValues) {
  const v1::RowEncoding e = GetParam();
  std::set<std::string> digests = {
      Digest({{std::nullopt}}, e), Digest({{std::string()}}, e), Digest({{std::string("NULL")}}, e),
      Digest({{std::string("\\N")}}, e),
      // COMPACT's NULL byte as a value's length byte, and as a one-byte value.
      Digest({{std::string("\xfb")}}, e), Digest({{std::string(251, 'x')}}, e)};
  EXPECT_EQ(digests.size(), 6u);
}

TEST_P(RowEncodingTest, ColumnAndRowBoundariesCannotShift) {
  const v1::RowEncoding e = GetParam();
  std::set<std::string> digests = {
      Digest({{std::string("ab"), std::string("c")}}, e),
      Digest({{std::string("a"), std::string("bc")}}, e),
      Digest({{std::string("abc"), std::string()}}, e),
      Digest({{std::string("abc"), std::nullopt}}, e),
      // A value holding what looks like a header does not move the boundary.
      Digest({{std::string("a"), std::string("\1b")}}, e),
      Digest({{std::string("a\1"), std::string("b")}}, e),
      Digest({{std::string("a"), std::string("\xfb")}}, e),
      Digest({{std::string("a\xfb")}, {std::nullopt}}, e),
      Digest({{std::string("\xfc\x01")}, {std::string("b")}}, e),
  };
  EXPECT_EQ(digests.size(), 9u);
  // The same values as one two-row chunk or as other rows.
  EXPECT_NE(Digest({{std::string("a")}, {std::string("b")}}, e),
            Digest({{std::string("b")}, {std::string("a")}}, e));
  EXPECT_EQ(Digest({{std::string("a")}, {std::string("b")}}, e),
            Digest({{std::string("a")}, {std::string("b")}}, e));
}

TEST_P(RowEncodingTest, TheTwoEncodingsGiveDifferentDigests) {
  const v1::RowEncoding other = GetParam() == kCompact ? kFixed : kCompact;
  EXPECT_NE(Digest({{std::string("a"), std::nullopt}}, GetParam()),
            Digest({{std::string("a"), std::nullopt}}, other));
}

TEST(RowDigestTest, EncodingIsMarkerLengthAndBytes) {
  std::string out;
  const std::string x = "xy";
  AppendCanonicalRow(kFixed, {std::optional<absl::string_view>(x), std::nullopt}, &out);
  EXPECT_EQ(out, std::string("\1\2\0\0\0\0\0\0\0xy\0", 12));
}

// MySQL's length prefix at each of its edges, and 0xFB for NULL.
TEST(RowDigestTest, CompactEncodingIsTheProtocolsLengthPrefixAndBytes) {
  auto header = [](size_t n) {
    const std::string v(n, 'v');
    std::string out;
    AppendCanonicalRow(kCompact, {std::optional<absl::string_view>(v)}, &out);
    EXPECT_EQ(out.substr(out.size() - n), v);
    return out.substr(0, out.size() - n);
  };
  EXPECT_EQ(header(0), std::string("\0", 1));
  EXPECT_EQ(header(250), "\xfa");
  EXPECT_EQ(header(251), std::string("\xfc\xfb\0", 3));
  EXPECT_EQ(header(0xffff), "\xfc\xff\xff");
  EXPECT_EQ(header(0x10000), std::string("\xfd\0\0\1", 4));
  EXPECT_EQ(header(0xffffff), "\xfd\xff\xff\xff");
  EXPECT_EQ(header(0x1000000), std::string("\xfe\0\0\0\1\0\0\0\0", 9));
  std::string out;
  const std::string x = "xy";
  AppendCanonicalRow(kCompact, {std::nullopt, std::optional<absl::string_view>(x)}, &out);
  EXPECT_EQ(out, "\xfb\2xy");
}

TEST(RowDigestTest, LengthIsEightBytesLittleEndian) {
  std::string out;
  const std::string x(0x10203, 'v');
  AppendCanonicalRow(kFixed, {std::optional<absl::string_view>(x)}, &out);
  ASSERT_EQ(out.size(), 9 + x.size());
  EXPECT_EQ(out.substr(0, 9), std::string("\1\3\2\1\0\0\0\0\0", 9));
}

TEST_P(RowEncodingTest, CountsRowsAndValueBytes) {
  RowDigest d(GetParam());
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
  EXPECT_EQ(Digest({{std::string("a"), std::nullopt},
                    {std::string("bc"), std::string()},
                    {std::string("\0\1\xff\0\1\xff\0\1\xff", 9), std::string("NULL")}},
                   kCompact),
            "5df4d5031ba8e59e3929ab48c18ec2deac4ac8bfdf8ed5bce92f6975a8a9c606");
}

TEST_P(RowEncodingTest, ManyRowsHashAsTheirWholeEncoding) {
  RowDigest d(GetParam());
  std::string whole;
  for (int i = 0; i < 20000; ++i) {
    const std::string v = std::string(i % 97, 'x') + std::to_string(i);
    DbSession::RowValues row = {std::optional<absl::string_view>(v), std::nullopt};
    d.Add(row);
    AppendCanonicalRow(GetParam(), row, &whole);
  }
  ASSERT_GT(whole.size(), 1u << 20);  // many hash blocks
  Sha256 sha;
  sha.Update(whole);
  EXPECT_EQ(d.Hex(), sha.HexDigest());
  // Hex does not end the digest: more rows continue it.
  const std::string last = "last";
  d.Add({std::optional<absl::string_view>(last)});
  AppendCanonicalRow(GetParam(), {std::optional<absl::string_view>(last)}, &whole);
  Sha256 again;
  again.Update(whole);
  EXPECT_EQ(d.Hex(), again.HexDigest());
}

// The digest streams the encoding into fixed blocks and hashes long values where they
// lie: values of every length around the block's edges and the in-place threshold, and
// NULLs between them, hash exactly as the encoding written out whole.
TEST_P(RowEncodingTest, LongValuesAndBlockEdgesHashAsTheWholeEncoding) {
  RowDigest d(GetParam());
  std::string whole;
  uint64_t bytes = 0;
  for (int i = 0; i < 3000; ++i) {
    const size_t lengths[] = {0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 200000};
    const std::string v(i % 7 == 0 ? lengths[(i / 7) % 9] : static_cast<size_t>(i % 131),
                        static_cast<char>('a' + i % 26));
    DbSession::RowValues row = {std::optional<absl::string_view>(v), std::nullopt,
                                std::optional<absl::string_view>(v.substr(0, i % 5))};
    d.Add(row);
    AppendCanonicalRow(GetParam(), row, &whole);
    bytes += v.size() + std::min<size_t>(v.size(), i % 5);
  }
  Sha256 sha;
  sha.Update(whole);
  EXPECT_EQ(d.Hex(), sha.HexDigest());
  EXPECT_EQ(d.bytes(), bytes);
  EXPECT_EQ(d.rows(), 3000u);
}

// A source digests in what the target asked for if it knows it; an older target asks for
// none (0) and gets the 8-byte lengths it digests in itself.
TEST(RowDigestTest, TheSourceAgreesToAKnownEncodingElseTheFixedLengthOne) {
  EXPECT_EQ(AgreedRowEncoding(kCompact), kCompact);
  EXPECT_EQ(AgreedRowEncoding(kFixed), kFixed);
  EXPECT_EQ(AgreedRowEncoding(static_cast<v1::RowEncoding>(7)), kFixed);
  EXPECT_FALSE(KnownRowEncoding(static_cast<v1::RowEncoding>(7)));
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, RowEncodingTest, ::testing::Values(kFixed, kCompact));

}  // namespace
}  // namespace mmresync::agent
