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

// The value header: the marker and, for a value, its length as 8 bytes little-endian.
// Returns the header's size (1 or 9).
size_t EncodeHeader(const std::optional<absl::string_view>& value, char* p) {
  if (!value.has_value()) {
    *p = '\0';
    return 1;
  }
  *p++ = '\1';
  const uint64_t n = value->size();
  // One store rather than a loop of shifts: this runs once per value of a multi-GiB
  // compare, and perf put most of this function's time in the byte loop.
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &n, 8);
  } else {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  }
  return 9;
}

}  // namespace

void AppendCanonicalRow(const DbSession::RowValues& row, std::string* out) {
  char header[kMaxHeader];
  for (const auto& value : row) {
    out->append(header, EncodeHeader(value, header));
    if (value.has_value()) out->append(value->data(), value->size());
  }
}

RowDigest::RowDigest() : buf_(std::make_unique_for_overwrite<char[]>(kHashBlock)) {}

void RowDigest::Add(const DbSession::RowValues& row) {
  // The encoding is AppendCanonicalRow's, written straight into the block being filled:
  // no zero-filled resize, and a long value is hashed where it lies instead of copied.
  for (const auto& value : row) {
    if (kHashBlock - used_ < kMaxHeader) Flush();
    used_ += EncodeHeader(value, buf_.get() + used_);
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
