#pragma once

// The end-to-end check of a transfer part's bytes (proto PartChecksum): SHA-256 for
// peers that know nothing else (and the dump method), XXH3-128 where both agents agree
// on it in BeginTransfer. Both give a hex digest for the part's trailer.

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync {

class PartChecksum {
 public:
  explicit PartChecksum(v1::PartChecksum kind);
  ~PartChecksum();
  PartChecksum(const PartChecksum&) = delete;
  PartChecksum& operator=(const PartChecksum&) = delete;

  void Update(absl::string_view data);
  std::string HexDigest() const;
  v1::PartChecksum kind() const { return kind_; }

  // Puts the digest in the trailer field this kind uses.
  void Sign(v1::DumpTrailer& trailer) const;
  // The digest the trailer carries for this kind ("" when the field is absent).
  std::string Claimed(const v1::DumpTrailer& trailer) const;

  // "SHA-256", "XXH3-128".
  static absl::string_view Name(v1::PartChecksum kind);
  // Whether `kind` is one this build checks (proto3 enums accept any number).
  static bool Known(int kind);

 private:
  struct State;
  v1::PartChecksum kind_;
  std::unique_ptr<State> state_;
};

}  // namespace mmresync
