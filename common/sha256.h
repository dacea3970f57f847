#pragma once

// Running SHA-256 (OpenSSL EVP) for the end-to-end checksum of dump streams.

#include <memory>
#include <string>
#include <string_view>
#include "absl/strings/string_view.h"

namespace mmresync {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  // Lowercase hex digest of everything so far; the running state is kept, so Update
  // may continue afterwards.
  std::string HexDigest() const;

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace mmresync
