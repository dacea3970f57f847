#pragma once

// Reads one transfer part from a stream of chunks and checks it: offsets contiguous from
// 0, then a trailer whose byte count and checksum (the stream's PartChecksum) match what
// arrived. A part that ends
// without its trailer, or with a different checksum, is an error (DATA_LOSS), never a
// short part. Compressed chunks (one zstd frame each) are inflated here, so every check
// is on the bytes the source read.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/target_import.h"
#include "common/part_checksum.h"

namespace mmresync::agent {

class PartReader {
 public:
  // `on_bytes` is told how many bytes each chunk carried, after and before compression
  // (for progress).
  PartReader(
      DumpStream& stream, std::string what,
      std::function<void(size_t raw, size_t wire)> on_bytes = [](size_t, size_t) {});

  // The next chunk's data; empty once the trailer arrived and checked out.
  absl::StatusOr<absl::string_view> NextChunk();
  // Fills `buf` with up to `size` bytes; 0 at the checked end.
  absl::StatusOr<size_t> Read(char* buf, size_t size);

  // Valid once NextChunk/Read returned the end.
  const v1::DumpTrailer& trailer() const { return trailer_; }
  uint64_t bytes() const { return received_; }

 private:
  DumpStream& stream_;
  std::string what_;
  std::function<void(size_t, size_t)> on_bytes_;
  PartChecksum checksum_;
  uint64_t received_ = 0;
  v1::DumpChunk current_;
  size_t pos_ = 0;
  bool done_ = false;
  v1::DumpTrailer trailer_;
};

}  // namespace mmresync::agent
