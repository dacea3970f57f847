// The first round of a delta comparison: one pass over the target's table cuts and
// digests its chunks while the source digests each chunk as soon as it is cut
// (source_digester.h). The source here is an in-memory table behind a fake peer; the
// target a scripted session, which answers only the one full-table query (a second
// query would come back empty and break the comparison).

#include "agent/delta_compare.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "agent/row_digest.h"
#include "agent/source_digester.h"
#include "fake_db_session.h"
#include "gtest/gtest.h"
#include "int_key_table.h"

namespace mmresync::agent {
namespace {

using Table = fakes::IntKeyTable;  // id -> v

// The source's side of the session: digests of an in-memory table.
class FakeSource : public TransferPeer {
 public:
  explicit FakeSource(Table rows) : rows_(std::move(rows)) {}
  absl::StatusOr<v1::BeginTransferReply> Begin(uint32_t) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::unique_ptr<DumpStream>> Fetch(uint32_t) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status End() override { return absl::OkStatus(); }
  absl::StatusOr<v1::DigestChunksReply> DigestChunks(
      uint32_t part_id, const std::vector<v1::KeyRange>& ranges) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(ranges.size());
    for (const auto& r : ranges) ranges_.push_back(r);
    if (fail_after_ >= 0 && static_cast<int>(requests_.size()) > fail_after_) {
      return absl::UnavailableError("source agent db1: connection reset");
    }
    v1::DigestChunksReply reply;
    for (const auto& d : fakes::IntKeySummaries(rows_, ranges, encoding_)) {
      v1::ChunkDigest* c = reply.add_chunks();
      c->set_sha256(d.sha256);
      c->set_rows(d.rows);
      c->set_bytes(d.bytes);
    }
    return reply;
  }
  std::vector<v1::KeyRange> ranges() {
    absl::MutexLock lock(&mu_);
    return ranges_;
  }
  size_t requests() {
    absl::MutexLock lock(&mu_);
    return requests_.size();
  }
  size_t largest_request() {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (size_t r : requests_) n = std::max(n, r);
    return n;
  }
  void FailAfterRequests(int n) { fail_after_ = n; }
  void set_encoding(v1::RowEncoding encoding) { encoding_ = encoding; }

 private:
  const Table rows_;
  absl::Mutex mu_;
  std::vector<size_t> requests_;
  std::vector<v1::KeyRange> ranges_;
  int fail_after_ = -1;
  v1::RowEncoding encoding_ = v1::ROW_ENCODING_FIXED_LENGTH;
};

Table Rows(int n, int width = 8) {
  Table t;
  for (int i = 1; i <= n; ++i) t[2 * i] = std::string(width, 'a' + i % 26);
  return t;
}

v1::TransferPart Part() {
  v1::TransferPart part;
  part.set_id(7);
  part.set_schema("s");
  part.set_table("t");
  part.add_columns()->set_name("id");
  part.add_columns()->set_name("v");
  return part;
}

TableKey Key() {
  TableKey key;
  key.index = "PRIMARY";
  key.columns.push_back({"id", KeyColumn::Kind::kInteger, "", ""});
  return key;
}

constexpr char kFullPass[] = "SELECT `id`, `v` FROM `s`.`t` ORDER BY `id`";

class DeltaCompareTest : public ::testing::Test {
 protected:
  void ServeTarget(const Table& t) {
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (const auto& [k, v] : t) rows.push_back({absl::StrCat(k), v});
    script_.OnQuery(kFullPass, fakes::Rows({"id", "v"}, rows));
  }
  absl::StatusOr<TableComparison> Compare(FakeSource& source, const CompareLimits& limits) {
    fakes::FakeDbSession reader(&script_);
    return CompareTable(reader, source, Part(), Key(), limits);
  }
  fakes::FakeDbScript script_;
};

// The ranges the source was asked for, in order, cover the key space once.
void ExpectContiguous(const std::vector<v1::KeyRange>& ranges) {
  ASSERT_FALSE(ranges.empty());
  EXPECT_TRUE(ranges.front().lower().empty());
  EXPECT_TRUE(ranges.back().upper().empty());
  for (size_t i = 1; i < ranges.size(); ++i) {
    ASSERT_EQ(ranges[i].lower_size(), 1);
    ASSERT_EQ(ranges[i - 1].upper_size(), 1);
    EXPECT_EQ(ranges[i].lower(0), ranges[i - 1].upper(0));
  }
}

TEST_F(DeltaCompareTest, EqualTablesAreReadOnceOnTheTargetAndChunkByChunkOnTheSource) {
  Table t = Rows(20000);
  ServeTarget(t);
  FakeSource source(t);
  CompareLimits limits;
  limits.chunk_rows = 1000;
  auto c = Compare(source, limits);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->differing.empty());
  // The whole target in one statement: no key scan before it, no query per chunk.
  EXPECT_EQ(script_.statements(), std::vector<std::string>({kFullPass}));
  std::vector<v1::KeyRange> asked = source.ranges();
  EXPECT_EQ(asked.size(), 21u);  // 20 chunks of 1000 rows and the one past the last key
  ExpectContiguous(asked);
  EXPECT_EQ(asked[0].upper(0), "2000");  // the 1000th key
  EXPECT_EQ(c->stats.compared, 21u);
  EXPECT_EQ(c->stats.rounds, 1u);
  EXPECT_EQ(c->stats.source_bytes, c->stats.target_bytes);
}

// A source slower than the target gets the ranges queued meanwhile, a bounded number per
// request, so that a cancelled comparison never waits long on the request in flight.
TEST_F(DeltaCompareTest, EachDigestRequestCarriesABoundedNumberOfRanges) {
  Table t = Rows(50000);
  ServeTarget(t);
  FakeSource source(t);
  CompareLimits limits;
  limits.chunk_rows = 100;  // 501 ranges, cut faster than the source digests them
  auto c = Compare(source, limits);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->differing.empty());
  EXPECT_EQ(source.ranges().size(), 501u);
  EXPECT_LE(source.largest_request(), 64u);
  EXPECT_GE(source.requests(), 501u / kRangesPerDigestRequest);
}

TEST_F(DeltaCompareTest, WideRowsAreCutByBytes) {
  Table t = Rows(100, 1000);  // about 1 KB per row
  ServeTarget(t);
  FakeSource source(t);
  CompareLimits limits;
  limits.chunk_rows = 1000;
  limits.chunk_bytes = 10000;
  auto c = Compare(source, limits);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->differing.empty());
  std::vector<v1::KeyRange> asked = source.ranges();
  EXPECT_EQ(asked.size(), 11u);  // 10 rows (10 KB) per chunk
  ExpectContiguous(asked);
}

TEST_F(DeltaCompareTest, SourceRowsPastTheTargetsLastKeyAreTheLastRange) {
  Table target = Rows(5000);
  Table source = target;
  source[100001] = "only on the source";
  ServeTarget(target);
  FakeSource peer(source);
  CompareLimits limits;
  limits.chunk_rows = 1000;
  auto c = Compare(peer, limits);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->differing.size(), 1u);
  EXPECT_EQ(c->differing[0].lower(0), "10000");
  EXPECT_TRUE(c->differing[0].upper().empty());
}

// The target digests its side in the session's row encoding: with the source in the same
// one, only the range of the changed row differs; against a source in the other one,
// every range with rows would (which is why the encoding is agreed once, in
// BeginTransfer).
TEST_F(DeltaCompareTest, TheTargetDigestsInTheSessionsRowEncoding) {
  Table target = Rows(5000);
  Table source = target;
  source[2 * 2500] = "changed";
  CompareLimits limits;
  limits.chunk_rows = 1000;
  limits.copy_whole_min_ranges = 1000;  // bisect whatever differs
  limits.leaf_rows = 1000;
  for (v1::RowEncoding encoding : {v1::ROW_ENCODING_FIXED_LENGTH, v1::ROW_ENCODING_COMPACT}) {
    limits.row_encoding = encoding;
    ServeTarget(target);
    FakeSource same(source);
    same.set_encoding(encoding);
    auto c = Compare(same, limits);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(c->differing.size(), 1u) << encoding;
    EXPECT_EQ(c->differing[0].lower(0), "4000");
    EXPECT_EQ(c->differing[0].upper(0), "6000");

    ServeTarget(target);
    FakeSource other(target);  // equal rows, the other encoding
    other.set_encoding(encoding == v1::ROW_ENCODING_COMPACT ? v1::ROW_ENCODING_FIXED_LENGTH
                                                            : v1::ROW_ENCODING_COMPACT);
    auto mismatch = Compare(other, limits);
    ASSERT_TRUE(mismatch.ok()) << mismatch.status();
    // Every range with rows: the empty one past the last key hashes nothing either way.
    EXPECT_EQ(mismatch->differing.size(), 5u) << encoding;
  }
}

// `n` rows of `t` from the first on get another value (1000 rows, 100 per chunk: rows
// 100 * k + 1 .. 100 * (k + 1) are chunk k).
Table Changed(Table t, int first_chunk, int chunks) {
  for (int i = 100 * first_chunk + 1; i <= 100 * (first_chunk + chunks); ++i) t[2 * i] = "changed";
  return t;
}

CompareLimits HundredRowChunks() {
  CompareLimits limits;
  limits.chunk_rows = 100;
  limits.leaf_rows = 100;  // a differing chunk is a leaf: no bisection queries here
  return limits;
}

// 10 chunks and the range past the last key: 6 of the 11 differing is most of the table,
// which is copied whole rather than bisected (one round, nothing to narrow).
TEST_F(DeltaCompareTest, AMostlyDifferingTableIsToBeCopiedWhole) {
  Table target = Rows(1000);
  ServeTarget(target);
  FakeSource source(Changed(target, 2, 6));
  auto c = Compare(source, HundredRowChunks());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->copy_whole, "6 of its 11 ranges differ");
  EXPECT_TRUE(c->differing.empty());
  EXPECT_EQ(c->stats.rounds, 1u);
  EXPECT_EQ(c->stats.compared, 11u);
  EXPECT_GT(c->stats.source_bytes, 0u);
  EXPECT_GT(c->stats.target_bytes, 0u);
}

// Half or less: the differing ranges are repaired one by one.
TEST_F(DeltaCompareTest, AHalfDifferingTableIsRepairedRangeByRange) {
  Table target = Rows(1000);
  ServeTarget(target);
  FakeSource source(Changed(target, 2, 5));
  auto c = Compare(source, HundredRowChunks());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->copy_whole.empty()) << c->copy_whole;
  EXPECT_EQ(c->differing.size(), 5u);
}

// A small table (fewer ranges than the minimum) is bisected however much of it differs.
TEST_F(DeltaCompareTest, ASmallTableIsRepairedRangeByRangeHoweverMuchDiffers) {
  Table target = Rows(400);
  ServeTarget(target);
  FakeSource source(Changed(target, 0, 4));
  auto c = Compare(source, HundredRowChunks());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->copy_whole.empty()) << c->copy_whole;
  EXPECT_EQ(c->differing.size(), 4u);
}

TEST_F(DeltaCompareTest, AnEmptyTargetIsOneRangeHoldingTheWholeSource) {
  ServeTarget({});
  FakeSource source(Rows(10));
  auto c = Compare(source, CompareLimits());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->differing.size(), 1u);
  EXPECT_TRUE(c->differing[0].lower().empty());
  EXPECT_TRUE(c->differing[0].upper().empty());
}

TEST_F(DeltaCompareTest, ASourceThatFailsFailsTheComparison) {
  Table t = Rows(20000);
  ServeTarget(t);
  FakeSource source(t);
  source.FailAfterRequests(0);
  CompareLimits limits;
  limits.chunk_rows = 100;
  auto c = Compare(source, limits);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
  EXPECT_NE(c.status().message().find("db1"), absl::string_view::npos);
}

TEST_F(DeltaCompareTest, CancellingStopsThePassAtTheNextChunk) {
  Table t = Rows(20000);
  ServeTarget(t);
  FakeSource source(t);
  CompareLimits limits;
  limits.chunk_rows = 1000;
  int chunks = 0;
  limits.cancelled = [&] { return ++chunks > 3; };
  auto c = Compare(source, limits);
  EXPECT_TRUE(absl::IsCancelled(c.status())) << c.status();
  EXPECT_LE(source.ranges().size(), 3u);
}

TEST_F(DeltaCompareTest, ZeroChunkLimitsAreRefused) {
  FakeSource source({});
  CompareLimits limits;
  limits.chunk_bytes = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(Compare(source, limits).status()));
}

TEST(SourceDigesterTest, DigestsComeBackInTheOrderRangesWereAdded) {
  FakeSource source(Rows(100));
  SourceDigester digester(source, 7);
  std::vector<v1::KeyRange> ranges;
  for (int i = 0; i < 50; ++i) {
    v1::KeyRange r;
    if (i > 0) *r.add_lower() = absl::StrCat(4 * (i - 1));
    if (i < 49) *r.add_upper() = absl::StrCat(4 * i);
    ASSERT_TRUE(digester.Add(r).ok());
    ranges.push_back(r);
  }
  auto digests = digester.Finish();
  ASSERT_TRUE(digests.ok()) << digests.status();
  ASSERT_EQ(digests->size(), 50u);
  auto expected = source.DigestChunks(7, ranges);
  ASSERT_TRUE(expected.ok());
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ((*digests)[i].sha256, expected->chunks(static_cast<int>(i)).sha256()) << i;
    EXPECT_EQ((*digests)[i].rows, expected->chunks(static_cast<int>(i)).rows()) << i;
  }
}

TEST(SourceDigesterTest, DestroyedBeforeFinishDoesNotHang) {
  FakeSource source(Rows(100));
  {
    SourceDigester digester(source, 7);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(digester.Add(v1::KeyRange()).ok());
  }
  EXPECT_LE(source.requests(), 1000u);
}

}  // namespace
}  // namespace mmresync::agent
