#pragma once

// The digest a delta repair compares a key range by: SHA-256 over a canonical encoding
// of the range's rows in key order. Each value is one marker byte (0 NULL, 1 a value)
// and, for a value, its length as 8 bytes little-endian and its raw bytes; rows have
// the table's fixed column count, so no boundary can shift between values or rows
// (NULL, '' and 'NULL' all encode differently). Both agents read the values with SET
// NAMES binary and time_zone '+00:00', so the bytes are the stored ones.

#include <cstdint>
#include <memory>
#include <string>

#include "agent/db_session.h"
#include "common/sha256.h"

namespace mmresync::agent {

// Appends the canonical encoding of `row` to `out` (exposed for tests).
void AppendCanonicalRow(const DbSession::RowValues& row, std::string* out);

class RowDigest {
 public:
  RowDigest();
  void Add(const DbSession::RowValues& row);
  // Lowercase hex SHA-256 of the rows added so far (more may be added afterwards).
  std::string Hex();
  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }  // value bytes (not the encoding's overhead)

 private:
  void Flush();

  Sha256 sha_;
  std::unique_ptr<char[]> buf_;  // encoded rows not hashed yet: the first used_ bytes
  size_t used_ = 0;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace mmresync::agent
