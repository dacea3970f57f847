#include "agent/row_digest.h"

#include <bit>
#include <cstring>

namespace mmresync::agent {
namespace {

// Encoded rows are hashed in blocks of about this size: one hash call per row costs
// more than the hashing itself on narrow rows.
constexpr size_t kHashBlock = 64 << 10;
// A value at least this long goes to the hash as it is: copying it into the block would
// cost more than the extra hash call.
constexpr size_t kHashInPlace = 4 << 10;
constexpr size_t kMaxHeader = 9;

// Writes the low `bytes` bytes of `n` little-endian at `p`.
void PutLittleEndian(uint64_t n, int bytes, char* p) {
  // One store rather than a loop of shifts where it can: this runs once per value of a
  // multi-GiB compare, and perf put most of the encoder's time in the byte loop.
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &n, static_cast<size_t>(bytes));
  } else {
    for (int i = 0; i < bytes; ++i) p[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
}

// The value's header (row_digest.h) at `p`; returns its size (1 to kMaxHeader).
size_t EncodeHeader(v1::RowEncoding encoding, const std::optional<absl::string_view>& value,
                    char* p) {
  if (encoding == v1::ROW_ENCODING_COMPACT) {
    if (!value.has_value()) {
      *p = '\xfb';
      return 1;
    }
    const uint64_t n = value->size();
    if (n < 251) {
      *p = static_cast<char>(n);
      return 1;
    }
    const int bytes = n < (uint64_t{1} << 16) ? 2 : n < (uint64_t{1} << 24) ? 3 : 8;
    *p = static_cast<char>(bytes == 2 ? 0xfc : bytes == 3 ? 0xfd : 0xfe);
    PutLittleEndian(n, bytes, p + 1);
    return 1 + static_cast<size_t>(bytes);
  }
  if (!value.has_value()) {
    *p = '\0';
    return 1;
  }
  *p = '\1';
  PutLittleEndian(value->size(), 8, p + 1);
  return 9;
}

}  // namespace

bool KnownRowEncoding(v1::RowEncoding encoding) {
  return encoding == v1::ROW_ENCODING_FIXED_LENGTH || encoding == v1::ROW_ENCODING_COMPACT;
}

v1::RowEncoding AgreedRowEncoding(v1::RowEncoding requested) {
  return KnownRowEncoding(requested) ? requested : v1::ROW_ENCODING_FIXED_LENGTH;
}

void AppendCanonicalRow(v1::RowEncoding encoding, const DbSession::RowValues& row,
                        std::string* out) {
  char header[kMaxHeader];
  for (const auto& value : row) {
    out->append(header, EncodeHeader(encoding, value, header));
    if (value.has_value()) out->append(value->data(), value->size());
  }
}

RowDigest::RowDigest(v1::RowEncoding encoding)
    : encoding_(AgreedRowEncoding(encoding)),
      buf_(std::make_unique_for_overwrite<char[]>(kHashBlock)) {}

void RowDigest::Add(const DbSession::RowValues& row) {
  // The encoding is AppendCanonicalRow's, written straight into the block being filled:
  // no zero-filled resize, and a long value is hashed where it lies instead of copied.
  for (const auto& value : row) {
    if (kHashBlock - used_ < kMaxHeader) Flush();
    used_ += EncodeHeader(encoding_, value, buf_.get() + used_);
    if (!value.has_value()) continue;
    const size_t n = value->size();
    bytes_ += n;
    if (n >= kHashInPlace) {
      Flush();
      sha_.Update(*value);
      continue;
    }
    if (kHashBlock - used_ < n) Flush();
    if (n > 0) std::memcpy(buf_.get() + used_, value->data(), n);
    used_ += n;
  }
  ++rows_;
}

std::string RowDigest::Hex() {
  Flush();
  return sha_.HexDigest();
}

void RowDigest::Flush() {
  if (used_ == 0) return;
  sha_.Update(absl::string_view(buf_.get(), used_));
  used_ = 0;
}

}  // namespace mmresync::agent
