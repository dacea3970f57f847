#pragma once

// zstd for transfer streams: the operator's setting ("auto", "none", a level), and the
// per-chunk codec both agents use. A chunk is one independent zstd frame, so a stream
// may switch compression on and off between chunks (auto does) and a receiver checks
// each chunk on its own.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmresync {

inline constexpr int kCompressionAuto = -1;
inline constexpr int kCompressionNone = 0;
inline constexpr int kMaxZstdLevel = 19;
// auto's level: fast enough (hundreds of MB/s per core) never to be the bottleneck
// itself on the links it pays on.
inline constexpr int kAutoZstdLevel = 1;

// "auto" or "" -> kCompressionAuto, "none" -> 0, "1".."19" (or "zstd:N") -> N.
absl::StatusOr<int> ParseCompression(absl::string_view text);
// The setting as an operator reads it: "auto", "none", "zstd 3".
std::string DescribeCompression(int level);
// A FetchPartRequest's zstd_level from the wire: -1..19.
absl::Status ValidateZstdLevel(int level);

class ZstdCompressor {
 public:
  ZstdCompressor();
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  // One frame holding `raw` at `level` (1..19).
  absl::StatusOr<std::string> Compress(absl::string_view raw, int level);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// The frame's content, which must be exactly `raw_bytes` long and at most `max_bytes`
// (checked before anything is allocated: a hostile frame cannot make us inflate more).
absl::StatusOr<std::string> ZstdDecompress(absl::string_view frame, size_t raw_bytes,
                                           size_t max_bytes);

// Each frame of `data` (zstd frames one after the other, each recording its content size,
// as ZstdCompressor writes them), decompressed, handed to `sink` in order. A frame above
// `max_frame_bytes`, a truncated one or one without its size is DATA_LOSS.
absl::Status DecompressFrames(absl::string_view data, size_t max_frame_bytes,
                              const std::function<absl::Status(absl::string_view)>& sink);

}  // namespace mmresync
