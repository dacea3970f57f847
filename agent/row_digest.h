#pragma once

// The digest a delta repair compares a key range by: SHA-256 over a canonical encoding
// of the range's rows in key order. Each value is a header that says NULL or gives the
// value's length, then the value's raw bytes; rows have the table's fixed column count,
// so no boundary can shift between values or rows (NULL, '' and 'NULL' all encode
// differently). Two headers (v1::RowEncoding, agreed per transfer session):
// FIXED_LENGTH, a marker byte (0 NULL, 1 a value) and the length as 8 bytes
// little-endian; COMPACT, the MySQL protocol's length prefix (0xFB NULL; below 251 one
// byte; else 0xFC, 0xFD or 0xFE and 2, 3 or 8 bytes little-endian). Either is
// prefix-free, so either is canonical; COMPACT hashes a quarter fewer bytes on narrow
// rows. Both agents read the values with SET NAMES binary and time_zone '+00:00', so the
// bytes are the stored ones.

#include <cstdint>
#include <memory>
#include <string>

#include "agent/db_session.h"
#include "common/sha256.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// Appends the canonical encoding of `row` to `out` (exposed for tests).
void AppendCanonicalRow(v1::RowEncoding encoding, const DbSession::RowValues& row,
                        std::string* out);

// Whether this agent knows `encoding` (a peer may name one it does not).
bool KnownRowEncoding(v1::RowEncoding encoding);

// The encoding a source digests in when a target asks for `requested`: that one if this
// agent knows it, else FIXED_LENGTH (what an older target, which asks for none, uses).
v1::RowEncoding AgreedRowEncoding(v1::RowEncoding requested);

class RowDigest {
 public:
  // `encoding` must be known (KnownRowEncoding); an unknown one encodes as FIXED_LENGTH.
  explicit RowDigest(v1::RowEncoding encoding);
  void Add(const DbSession::RowValues& row);
  // Lowercase hex SHA-256 of the rows added so far (more may be added afterwards).
  std::string Hex();
  uint64_t rows() const { return rows_; }
  uint64_t bytes() const { return bytes_; }  // value bytes (not the encoding's overhead)

 private:
  void Flush();

  const v1::RowEncoding encoding_;
  Sha256 sha_;
  std::unique_ptr<char[]> buf_;  // encoded rows not hashed yet: the first used_ bytes
  size_t used_ = 0;
  uint64_t rows_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace mmresync::agent
