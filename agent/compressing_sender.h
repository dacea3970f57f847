#pragma once

// Sits between a part's PartWriter (offsets and SHA-256 of the raw bytes) and the gRPC
// stream: compresses each chunk's data into one zstd frame at the requested level, or
// at the level auto picks for the session now. A chunk that does not get smaller, and a
// trailer, go as they are.

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "agent/auto_compression.h"
#include "common/compression.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

class CompressingSender {
 public:
  // `level`: kCompressionNone, 1..19, or kCompressionAuto (then `governor` decides and
  // is told what was sent; it must outlive this sender).
  CompressingSender(int level, AutoCompression* governor,
                    std::function<bool(const v1::DumpChunk&)> send)
      : level_(level), governor_(governor), send_(std::move(send)) {}

  // PartWriter's send: false when the receiver is gone or compression failed (then
  // status() says why, and the part must fail with that, not "peer went away").
  bool operator()(const v1::DumpChunk& chunk);
  const absl::Status& status() const { return status_; }
  uint64_t raw_bytes() const { return raw_bytes_; }
  uint64_t wire_bytes() const { return wire_bytes_; }

 private:
  const int level_;
  AutoCompression* const governor_;
  const std::function<bool(const v1::DumpChunk&)> send_;
  ZstdCompressor compressor_;
  absl::Status status_;
  uint64_t raw_bytes_ = 0;
  uint64_t wire_bytes_ = 0;
};

}  // namespace mmresync::agent
