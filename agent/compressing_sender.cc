#include "agent/compressing_sender.h"

namespace mmresync::agent {
namespace {
// Below this a frame's header eats most of the gain.
constexpr size_t kMinCompressBytes = 512;
}  // namespace

bool CompressingSender::operator()(const v1::DumpChunk& chunk) {
  const size_t raw = chunk.data().size();
  int level = level_;
  if (level == kCompressionAuto) level = governor_ != nullptr ? governor_->NextLevel() : 0;
  bool ok;
  size_t wire = raw;
  if (level <= 0 || raw < kMinCompressBytes) {
    ok = send_(chunk);
  } else {
    auto frame = compressor_.Compress(chunk.data(), level);
    if (!frame.ok()) {
      status_ = frame.status();
      return false;
    }
    if (frame->size() >= raw) {
      ok = send_(chunk);
    } else {
      v1::DumpChunk packed;
      wire = frame->size();
      packed.set_offset(chunk.offset());
      packed.set_zstd_raw_bytes(static_cast<uint32_t>(raw));
      *packed.mutable_data() = std::move(*frame);
      ok = send_(packed);
    }
  }
  if (!ok) return false;
  raw_bytes_ += raw;
  wire_bytes_ += wire;
  if (level_ == kCompressionAuto && governor_ != nullptr) governor_->Sent(raw);
  return true;
}

}  // namespace mmresync::agent
