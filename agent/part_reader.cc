#include "agent/part_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/compression.h"
#include "common/fault_point.h"
#include "common/status_macros.h"
#include "common/tls.h"

namespace mmresync::agent {

PartReader::PartReader(DumpStream& stream, std::string what,
                       std::function<void(size_t, size_t)> on_bytes)
    : stream_(stream),
      what_(std::move(what)),
      on_bytes_(std::move(on_bytes)),
      checksum_(stream.checksum()) {}

absl::StatusOr<absl::string_view> PartReader::NextChunk() {
  while (!done_) {
    auto next = stream_.Next();
    if (!next.ok()) return Annotate(next.status(), what_);
    if (!next->has_value()) {
      return absl::DataLossError(
          absl::StrCat(what_, ": stream ended after ", received_, " bytes without a trailer"));
    }
    current_ = std::move(**next);
    pos_ = 0;
    if (current_.offset() != received_) {
      return absl::DataLossError(absl::StrCat(what_, ": chunk at offset ", current_.offset(),
                                              " but ", received_, " bytes received"));
    }
    if (current_.has_trailer()) {
      trailer_ = current_.trailer();
      if (trailer_.bytes() != received_) {
        return absl::DataLossError(absl::StrCat(what_, ": source sent ", trailer_.bytes(),
                                                " bytes, received ", received_));
      }
      if (checksum_.Claimed(trailer_) != checksum_.HexDigest()) {
        return absl::DataLossError(absl::StrCat(what_, ": checksum mismatch (",
                                                PartChecksum::Name(checksum_.kind()),
                                                " of the received bytes differs from the "
                                                "source's)"));
      }
      done_ = true;
      break;
    }
    if (current_.data().empty()) continue;
    const size_t wire = current_.data().size();
    if (current_.zstd_raw_bytes() > 0) {
      auto raw = ZstdDecompress(current_.data(), current_.zstd_raw_bytes(), kMaxMessageBytes);
      if (!raw.ok()) {
        return Annotate(raw.status(), absl::StrCat(what_, ": chunk at offset ", received_));
      }
      *current_.mutable_data() = std::move(*raw);
    }
    checksum_.Update(current_.data());
    received_ += current_.data().size();
    MMRESYNC_FAULT_POINT_BYTES("target_stream", current_.data().size());
    on_bytes_(current_.data().size(), wire);
    return absl::string_view(current_.data());
  }
  return absl::string_view();
}

absl::StatusOr<size_t> PartReader::Read(char* buf, size_t size) {
  if (pos_ >= current_.data().size()) {
    ASSIGN_OR_RETURN(absl::string_view data, NextChunk());
    if (data.empty()) return 0;
  }
  const size_t n = std::min(size, current_.data().size() - pos_);
  std::memcpy(buf, current_.data().data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace mmresync::agent
