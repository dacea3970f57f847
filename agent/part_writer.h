#pragma once

// The source side of a transfer part's framing, the mirror of PartReader: chunks with
// the offset of their first byte and a running SHA-256, then a trailer with the byte
// count and the digest. Used by every method's parts.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/fault_point.h"
#include "common/sha256.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

class PartWriter {
 public:
  // `send` returns false when the receiving agent is gone; it must outlive the writer.
  explicit PartWriter(const std::function<bool(const v1::DumpChunk&)>& send) : send_(send) {}

  absl::Status Write(std::string data) {
    v1::DumpChunk chunk;
    chunk.set_offset(offset_);
    sha_.Update(data);
    offset_ += data.size();
    *chunk.mutable_data() = std::move(data);
    if (!send_(chunk)) return absl::CancelledError("the receiving agent went away");
    MMRESYNC_FAULT_POINT_BYTES("source_stream", chunk.data().size());
    return absl::OkStatus();
  }

  // `trailer` carries the method's own facts (rows, exit status, ...); bytes and
  // sha256 are filled in here.
  absl::Status Finish(v1::DumpTrailer trailer) {
    v1::DumpChunk last;
    last.set_offset(offset_);
    trailer.set_bytes(offset_);
    trailer.set_sha256(sha_.HexDigest());
    *last.mutable_trailer() = std::move(trailer);
    if (!send_(last)) return absl::CancelledError("the receiving agent went away");
    return absl::OkStatus();
  }

  uint64_t bytes() const { return offset_; }

 private:
  const std::function<bool(const v1::DumpChunk&)>& send_;
  Sha256 sha_;
  uint64_t offset_ = 0;
};

}  // namespace mmresync::agent
