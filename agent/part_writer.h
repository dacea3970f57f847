#pragma once

// The source side of a transfer part's framing, the mirror of PartReader: chunks with
// the offset of their first byte and a running checksum (the session's PartChecksum),
// then a trailer with the byte count and the digest. Used by every method's parts.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/fault_point.h"
#include "common/part_checksum.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

class PartWriter {
 public:
  // `send` returns false when the receiving agent is gone; it must outlive the writer.
  PartWriter(const std::function<bool(const v1::DumpChunk&)>& send, v1::PartChecksum checksum)
      : send_(send), checksum_(checksum) {}

  // Takes `data`'s bytes and hands the string back emptied but with its capacity, so a
  // caller refilling it does not grow a fresh one through reallocations (each a copy).
  absl::Status Write(std::string& data) {
    chunk_.set_offset(offset_);
    checksum_.Update(data);
    offset_ += data.size();
    chunk_.mutable_data()->swap(data);
    const bool sent = send_(chunk_);
    const size_t bytes = chunk_.data().size();
    chunk_.mutable_data()->swap(data);
    data.clear();
    if (!sent) return absl::CancelledError("the receiving agent went away");
    MMRESYNC_FAULT_POINT_BYTES("source_stream", bytes);
    return absl::OkStatus();
  }

  // Write, in chunks of at most `max_bytes`: a buffer filled row by row can outgrow a
  // chunk by a whole row, and one row can exceed gRPC's message limit (kMaxMessageBytes)
  // and the receiver's inflate bound (five 14 MB LONGBLOBs make a 70 MB row even under a
  // 16 MiB max_allowed_packet). The receiver reads a part as one byte stream, so a row
  // may span chunks. Hands `data` back emptied, as Write does.
  absl::Status WriteBounded(std::string& data, size_t max_bytes) {
    if (data.size() <= max_bytes) return Write(data);
    std::string piece;
    for (size_t pos = 0; pos < data.size(); pos += max_bytes) {
      piece.assign(data, pos, max_bytes);
      if (absl::Status s = Write(piece); !s.ok()) return s;
    }
    data.clear();
    return absl::OkStatus();
  }

  // `trailer` carries the method's own facts (rows, exit status, ...); bytes and
  // the checksum are filled in here.
  absl::Status Finish(v1::DumpTrailer trailer) {
    v1::DumpChunk last;
    last.set_offset(offset_);
    trailer.set_bytes(offset_);
    checksum_.Sign(trailer);
    *last.mutable_trailer() = std::move(trailer);
    if (!send_(last)) return absl::CancelledError("the receiving agent went away");
    return absl::OkStatus();
  }

  uint64_t bytes() const { return offset_; }

 private:
  const std::function<bool(const v1::DumpChunk&)>& send_;
  PartChecksum checksum_;
  v1::DumpChunk chunk_;
  uint64_t offset_ = 0;
};

}  // namespace mmresync::agent
