#include "agent/row_digest.h"

namespace mmresync::agent {

void AppendCanonicalRow(const DbSession::RowValues& row, std::string* out) {
  for (const auto& value : row) {
    if (!value.has_value()) {
      out->push_back('\0');
      continue;
    }
    out->push_back('\1');
    uint64_t n = value->size();
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out->append(value->data(), value->size());
  }
}

void RowDigest::Add(const DbSession::RowValues& row) {
  buf_.clear();
  AppendCanonicalRow(row, &buf_);
  sha_.Update(buf_);
  ++rows_;
  for (const auto& value : row) bytes_ += value.has_value() ? value->size() : 0;
}

}  // namespace mmresync::agent
