// A part's end-to-end check: PartWriter frames and signs, PartReader verifies, with each
// PartChecksum kind the two agents can agree on.

#include "common/part_checksum.h"

#include <deque>
#include <optional>
#include <string>

#include "agent/part_reader.h"
#include "agent/part_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::HasSubstr;

// What PartWriter sent, replayed to a PartReader as the peer's stream.
class RecordedStream : public agent::DumpStream {
 public:
  explicit RecordedStream(v1::PartChecksum kind) : kind_(kind) {}
  std::deque<v1::DumpChunk> chunks;
  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override {
    if (chunks.empty()) return std::optional<v1::DumpChunk>();
    v1::DumpChunk c = std::move(chunks.front());
    chunks.pop_front();
    return std::optional<v1::DumpChunk>(std::move(c));
  }
  void Cancel() override {}
  v1::PartChecksum checksum() const override { return kind_; }

 private:
  v1::PartChecksum kind_;
};

RecordedStream Send(v1::PartChecksum kind, const std::vector<std::string>& pieces) {
  RecordedStream stream(kind);
  const std::function<bool(const v1::DumpChunk&)> send = [&](const v1::DumpChunk& c) {
    stream.chunks.push_back(c);
    return true;
  };
  agent::PartWriter writer(send, kind);
  for (std::string piece : pieces) {
    const size_t capacity = piece.capacity();
    EXPECT_TRUE(writer.Write(piece).ok());
    EXPECT_TRUE(piece.empty());
    EXPECT_GE(piece.capacity(), capacity) << "the caller's buffer comes back to be refilled";
  }
  EXPECT_TRUE(writer.Finish(v1::DumpTrailer()).ok());
  return stream;
}

absl::StatusOr<std::string> Receive(RecordedStream& stream) {
  agent::PartReader reader(stream, "table `a`.`b`");
  std::string out;
  while (true) {
    auto chunk = reader.NextChunk();
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) return out;
    out.append(chunk->data(), chunk->size());
  }
}

std::string Digest(v1::PartChecksum kind, const std::vector<absl::string_view>& pieces) {
  PartChecksum c(kind);
  for (auto p : pieces) c.Update(p);
  return c.HexDigest();
}

// A buffer larger than a chunk (one big row) goes as chunks of at most the bound, which
// the reader puts back together and verifies.
TEST(PartChecksumTest, WriteBoundedSplitsABufferLargerThanAChunk) {
  RecordedStream stream(v1::PART_CHECKSUM_XXH3_128);
  const std::function<bool(const v1::DumpChunk&)> send = [&](const v1::DumpChunk& c) {
    stream.chunks.push_back(c);
    return true;
  };
  agent::PartWriter writer(send, v1::PART_CHECKSUM_XXH3_128);
  std::string row(2500, 'r'), whole = row;
  ASSERT_TRUE(writer.WriteBounded(row, 1000).ok());
  EXPECT_TRUE(row.empty());
  std::string small = "tail";
  ASSERT_TRUE(writer.WriteBounded(small, 1000).ok());
  ASSERT_TRUE(writer.Finish(v1::DumpTrailer()).ok());
  ASSERT_EQ(stream.chunks.size(), 5u);  // 1000, 1000, 500, "tail", the trailer
  for (const auto& c : stream.chunks) EXPECT_LE(c.data().size(), 1000u);
  auto received = Receive(stream);
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_EQ(*received, whole + "tail");
}

TEST(PartChecksumTest, KnownAnswers) {
  // xxHash's and FIPS 180-2's published values.
  EXPECT_EQ(Digest(v1::PART_CHECKSUM_XXH3_128, {}), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(Digest(v1::PART_CHECKSUM_SHA256, {"abc"}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PartChecksumTest, PiecesDigestLikeTheWhole) {
  for (auto kind : {v1::PART_CHECKSUM_SHA256, v1::PART_CHECKSUM_XXH3_128}) {
    EXPECT_EQ(Digest(kind, {"hello ", "", "world"}), Digest(kind, {"hello world"}));
    EXPECT_NE(Digest(kind, {"hello world"}), Digest(kind, {"hello worle"}));
  }
}

TEST(PartChecksumTest, UnknownKindsAreNotKnown) {
  EXPECT_TRUE(PartChecksum::Known(v1::PART_CHECKSUM_SHA256));
  EXPECT_TRUE(PartChecksum::Known(v1::PART_CHECKSUM_XXH3_128));
  EXPECT_FALSE(PartChecksum::Known(2));
  EXPECT_FALSE(PartChecksum::Known(-1));
}

TEST(PartChecksumTest, EachKindSignsItsOwnTrailerField) {
  RecordedStream xxh = Send(v1::PART_CHECKSUM_XXH3_128, {"abc"});
  EXPECT_EQ(xxh.chunks.back().trailer().xxh3_128().size(), 32u);
  EXPECT_TRUE(xxh.chunks.back().trailer().sha256().empty());
  RecordedStream sha = Send(v1::PART_CHECKSUM_SHA256, {"abc"});
  EXPECT_EQ(sha.chunks.back().trailer().sha256().size(), 64u);
  EXPECT_TRUE(sha.chunks.back().trailer().xxh3_128().empty());
}

TEST(PartChecksumTest, WriterAndReaderAgreeWithEitherKind) {
  for (auto kind : {v1::PART_CHECKSUM_SHA256, v1::PART_CHECKSUM_XXH3_128}) {
    RecordedStream stream = Send(kind, {"hello ", std::string(100000, 'x'), "world"});
    auto got = Receive(stream);
    ASSERT_TRUE(got.ok()) << PartChecksum::Name(kind) << ": " << got.status();
    EXPECT_EQ(*got, "hello " + std::string(100000, 'x') + "world");
  }
}

TEST(PartChecksumTest, ACorruptedByteIsDataLossWithEitherKind) {
  for (auto kind : {v1::PART_CHECKSUM_SHA256, v1::PART_CHECKSUM_XXH3_128}) {
    RecordedStream stream = Send(kind, {"hello ", "world"});
    stream.chunks[1].set_data("w0rld");
    auto got = Receive(stream);
    ASSERT_TRUE(absl::IsDataLoss(got.status())) << got.status();
    EXPECT_THAT(std::string(got.status().message()),
                HasSubstr(std::string(PartChecksum::Name(kind)) + " of the received bytes"));
  }
}

// A source that signed with another kind than the session agreed on is not trusted.
TEST(PartChecksumTest, ATrailerSignedWithTheOtherKindIsDataLoss) {
  RecordedStream signed_sha = Send(v1::PART_CHECKSUM_SHA256, {"hello"});
  RecordedStream expects_xxh(v1::PART_CHECKSUM_XXH3_128);
  expects_xxh.chunks = signed_sha.chunks;
  EXPECT_TRUE(absl::IsDataLoss(Receive(expects_xxh).status()));
}

}  // namespace
}  // namespace mmresync
