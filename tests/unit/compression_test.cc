// zstd on transfer streams: the operator's setting, the per-chunk frames and what a
// receiver accepts, the sender between PartWriter and the wire, and auto's choice.
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "agent/auto_compression.h"
#include "agent/compressing_sender.h"
#include "agent/part_reader.h"
#include "common/compression.h"
#include "common/sha256.h"
#include "common/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::HasSubstr;

TEST(CompressionSettingTest, ParsesWhatTheFlagAccepts) {
  EXPECT_EQ(*ParseCompression(""), kCompressionAuto);
  EXPECT_EQ(*ParseCompression("auto"), kCompressionAuto);
  EXPECT_EQ(*ParseCompression("none"), kCompressionNone);
  EXPECT_EQ(*ParseCompression("1"), 1);
  EXPECT_EQ(*ParseCompression("zstd:19"), 19);
  for (const char* bad : {"0", "20", "-1", "fast", "3x", "zstd:", " 3"}) {
    auto level = ParseCompression(bad);
    ASSERT_FALSE(level.ok()) << bad;
    EXPECT_THAT(level.status().message(), HasSubstr("zstd level 1..19"));
  }
  EXPECT_EQ(DescribeCompression(kCompressionAuto), "auto");
  EXPECT_EQ(DescribeCompression(7), "zstd 7");
}

TEST(CompressionSettingTest, AWireLevelOutsideItsRangeIsRefused) {
  EXPECT_TRUE(ValidateZstdLevel(-1).ok());
  EXPECT_TRUE(ValidateZstdLevel(19).ok());
  EXPECT_FALSE(ValidateZstdLevel(-2).ok());
  EXPECT_FALSE(ValidateZstdLevel(20).ok());
}

std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "row 12345\tsome repeated text\tmore\n";
  s.resize(n);
  return s;
}

std::string Random(size_t n) {
  std::string s(n, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(ZstdFrameTest, RoundTripsAndChecksTheClaimedSize) {
  ZstdCompressor c;
  const std::string raw = Compressible(100000);
  auto frame = c.Compress(raw, 3);
  ASSERT_TRUE(frame.ok());
  EXPECT_LT(frame->size(), raw.size() / 4);
  EXPECT_EQ(*ZstdDecompress(*frame, raw.size(), 1 << 20), raw);
  // A frame that claims another size, more than allowed, or garbage: DATA_LOSS, and
  // nothing is inflated beyond the limit.
  EXPECT_TRUE(absl::IsDataLoss(ZstdDecompress(*frame, raw.size() + 1, 1 << 20).status()));
  EXPECT_TRUE(absl::IsDataLoss(ZstdDecompress(*frame, raw.size(), 1000).status()));
  EXPECT_TRUE(absl::IsDataLoss(ZstdDecompress("not a frame", 11, 1 << 20).status()));
  std::string cut = frame->substr(0, frame->size() - 3);
  EXPECT_TRUE(absl::IsDataLoss(ZstdDecompress(cut, raw.size(), 1 << 20).status()));
}

// What the sender puts on the wire.
std::vector<v1::DumpChunk> SendThrough(int level, agent::AutoCompression* governor,
                                       const std::vector<std::string>& pieces) {
  std::vector<v1::DumpChunk> wire;
  agent::CompressingSender sender(level, governor, [&](const v1::DumpChunk& c) {
    wire.push_back(c);
    return true;
  });
  uint64_t offset = 0;
  for (const auto& p : pieces) {
    v1::DumpChunk c;
    c.set_offset(offset);
    c.set_data(p);
    offset += p.size();
    EXPECT_TRUE(sender(c));
  }
  return wire;
}

TEST(CompressingSenderTest, CompressesWhatShrinksAndSendsTheRestAsItIs) {
  const std::string text = Compressible(1 << 20);
  const std::string noise = Random(1 << 20);
  auto wire = SendThrough(3, nullptr, {text, noise, "tiny"});
  ASSERT_EQ(wire.size(), 3u);
  EXPECT_EQ(wire[0].zstd_raw_bytes(), text.size());
  EXPECT_LT(wire[0].data().size(), text.size() / 4);
  EXPECT_EQ(wire[0].offset(), 0u);
  EXPECT_EQ(wire[1].zstd_raw_bytes(), 0u) << "random bytes do not shrink: sent raw";
  EXPECT_EQ(wire[1].data(), noise);
  EXPECT_EQ(wire[1].offset(), text.size()) << "offsets stay those of the raw bytes";
  EXPECT_EQ(wire[2].zstd_raw_bytes(), 0u);

  auto plain = SendThrough(kCompressionNone, nullptr, {text});
  EXPECT_EQ(plain[0].zstd_raw_bytes(), 0u);
  EXPECT_EQ(plain[0].data(), text);
}

class MemoryStream : public agent::DumpStream {
 public:
  std::deque<v1::DumpChunk> chunks;
  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override {
    if (chunks.empty()) return std::optional<v1::DumpChunk>();
    v1::DumpChunk c = chunks.front();
    chunks.pop_front();
    return std::optional<v1::DumpChunk>(c);
  }
  void Cancel() override {}
};

MemoryStream WithTrailer(std::vector<v1::DumpChunk> wire, const std::string& raw) {
  MemoryStream s;
  for (auto& c : wire) s.chunks.push_back(c);
  Sha256 sha;
  sha.Update(raw);
  v1::DumpChunk last;
  last.set_offset(raw.size());
  last.mutable_trailer()->set_bytes(raw.size());
  last.mutable_trailer()->set_sha256(sha.HexDigest());
  s.chunks.push_back(last);
  return s;
}

TEST(CompressedPartTest, TheReaderInflatesAndChecksTheRawBytes) {
  const std::string a = Compressible(300000), b = Random(5000);
  MemoryStream s = WithTrailer(SendThrough(3, nullptr, {a, b}), a + b);
  size_t raw_total = 0, wire_total = 0;
  agent::PartReader reader(s, "table `t`.`x`", [&](size_t raw, size_t wire) {
    raw_total += raw;
    wire_total += wire;
  });
  std::string out;
  while (true) {
    auto chunk = reader.NextChunk();
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    if (chunk->empty()) break;
    out.append(chunk->data(), chunk->size());
  }
  EXPECT_EQ(out, a + b);
  EXPECT_EQ(raw_total, a.size() + b.size());
  EXPECT_LT(wire_total, raw_total / 2);
}

TEST(CompressedPartTest, AFrameThatLiesAboutItsSizeIsDataLoss) {
  const std::string a = Compressible(300000);
  auto wire = SendThrough(3, nullptr, {a});
  wire[0].set_zstd_raw_bytes(wire[0].zstd_raw_bytes() - 1);
  MemoryStream s = WithTrailer(wire, a);
  agent::PartReader reader(s, "table `t`.`x`");
  auto chunk = reader.NextChunk();
  ASSERT_FALSE(chunk.ok());
  EXPECT_TRUE(absl::IsDataLoss(chunk.status())) << chunk.status();
  EXPECT_THAT(chunk.status().message(), HasSubstr("table `t`.`x`"));

  // One claiming more than a message may carry is refused before inflating.
  auto bomb = SendThrough(3, nullptr, {a});
  bomb[0].set_zstd_raw_bytes(kMaxMessageBytes + 1);
  MemoryStream s2 = WithTrailer(bomb, a);
  agent::PartReader reader2(s2, "t");
  EXPECT_TRUE(absl::IsDataLoss(reader2.NextChunk().status()));
}

// A clock the test moves: each chunk "takes" the time the modelled link or import needs.
struct Model {
  absl::Time now = absl::UnixEpoch();
  agent::AutoCompression::Options options;  // the defaults: 1 s warm-up, 1.5+2 s probes, 30 s hold
};

// Sends 1 MiB chunks for `how_long`; `seconds_per_mib(level)` is how long one takes.
std::vector<int> Drive(Model& m, agent::AutoCompression& a, absl::Duration how_long,
                       const std::function<double(int)>& seconds_per_mib) {
  std::vector<int> levels;
  for (const absl::Time end = m.now + how_long; m.now < end;) {
    const int level = a.NextLevel();
    levels.push_back(level);
    m.now += absl::Seconds(seconds_per_mib(level));
    a.Sent(1 << 20);
  }
  return levels;
}

TEST(AutoCompressionTest, OnWhenTheLinkIsTheBottleneck) {
  Model m;
  agent::AutoCompression a(m.options, [&] { return m.now; });
  // 100 Mbit/s link, data shrinks 3x: compressed chunks cross three times as fast.
  auto levels = Drive(m, a, absl::Seconds(20), [](int level) { return level > 0 ? 0.028 : 0.084; });
  EXPECT_EQ(levels.front(), 0) << "starts uncompressed (warm-up)";
  EXPECT_EQ(levels.back(), kAutoZstdLevel);
  EXPECT_THAT(a.Describe(), HasSubstr("on ("));
}

TEST(AutoCompressionTest, OffWhenTheImportIsTheBottleneck) {
  Model m;
  agent::AutoCompression a(m.options, [&] { return m.now; });
  // The import takes 25 ms per MiB whatever crosses the link.
  auto levels = Drive(m, a, absl::Seconds(20), [](int) { return 0.025; });
  EXPECT_EQ(levels.back(), 0);
  EXPECT_THAT(a.Describe(), HasSubstr("off ("));
}

TEST(AutoCompressionTest, ProbesAgainWhenTheLinkChanges) {
  Model m;
  agent::AutoCompression a(m.options, [&] { return m.now; });
  Drive(m, a, absl::Seconds(10), [](int) { return 0.025; });
  ASSERT_THAT(a.Describe(), HasSubstr("off ("));
  // The link gets busy: after the hold (30 s), the next probe turns compression on.
  auto levels = Drive(m, a, absl::Seconds(45), [](int level) { return level > 0 ? 0.03 : 0.1; });
  EXPECT_EQ(levels.back(), kAutoZstdLevel) << a.Describe();
}

}  // namespace
}  // namespace mmresync
