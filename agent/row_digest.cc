#include "agent/row_digest.h"

#include <bit>
#include <cstring>

namespace mmresync::agent {
namespace {

// Encoded rows are hashed in blocks of about this size: one hash call per row costs
// more than the hashing itself on narrow rows.
constexpr size_t kHashBlock = 64 << 10;

}  // namespace

void AppendCanonicalRow(const DbSession::RowValues& row, std::string* out) {
  size_t size = out->size();
  for (const auto& value : row) size += value.has_value() ? 9 + value->size() : 1;
  const size_t start = out->size();
  out->resize(size);
  char* p = out->data() + start;
  for (const auto& value : row) {
    if (!value.has_value()) {
      *p++ = '\0';
      continue;
    }
    *p++ = '\1';
    const uint64_t n = value->size();
    // One store rather than a loop of shifts: this runs once per value of a multi-GiB
    // compare, and perf put most of this function's time in the byte loop.
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(p, &n, 8);
      p += 8;
    } else {
      for (int i = 0; i < 8; ++i) *p++ = static_cast<char>((n >> (8 * i)) & 0xff);
    }
    if (n > 0) std::memcpy(p, value->data(), n);
    p += n;
  }
}

void RowDigest::Add(const DbSession::RowValues& row) {
  AppendCanonicalRow(row, &buf_);
  if (buf_.size() >= kHashBlock) Flush();
  ++rows_;
  for (const auto& value : row) bytes_ += value.has_value() ? value->size() : 0;
}

std::string RowDigest::Hex() {
  Flush();
  return sha_.HexDigest();
}

void RowDigest::Flush() {
  sha_.Update(buf_);
  buf_.clear();
}

}  // namespace mmresync::agent
