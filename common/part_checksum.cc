#include "common/part_checksum.h"

#include <xxhash.h>

#include <cstdio>

#include "common/sha256.h"

namespace mmresync {

struct PartChecksum::State {
  Sha256 sha;
  XXH3_state_t* xxh = nullptr;
  ~State() {
    if (xxh != nullptr) XXH3_freeState(xxh);
  }
};

PartChecksum::PartChecksum(v1::PartChecksum kind)
    : kind_(kind == v1::PART_CHECKSUM_XXH3_128 ? kind : v1::PART_CHECKSUM_SHA256),
      state_(std::make_unique<State>()) {
  if (kind_ == v1::PART_CHECKSUM_XXH3_128) {
    state_->xxh = XXH3_createState();
    if (state_->xxh == nullptr) throw std::bad_alloc();
    XXH3_128bits_reset(state_->xxh);
  }
}

PartChecksum::~PartChecksum() = default;

void PartChecksum::Update(absl::string_view data) {
  if (kind_ == v1::PART_CHECKSUM_XXH3_128) {
    XXH3_128bits_update(state_->xxh, data.data(), data.size());
  } else {
    state_->sha.Update(data);
  }
}

std::string PartChecksum::HexDigest() const {
  if (kind_ != v1::PART_CHECKSUM_XXH3_128) return state_->sha.HexDigest();
  const XXH128_hash_t h = XXH3_128bits_digest(state_->xxh);
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return std::string(hex, 32);
}

void PartChecksum::Sign(v1::DumpTrailer& trailer) const {
  if (kind_ == v1::PART_CHECKSUM_XXH3_128) {
    trailer.set_xxh3_128(HexDigest());
  } else {
    trailer.set_sha256(HexDigest());
  }
}

std::string PartChecksum::Claimed(const v1::DumpTrailer& trailer) const {
  return kind_ == v1::PART_CHECKSUM_XXH3_128 ? trailer.xxh3_128() : trailer.sha256();
}

absl::string_view PartChecksum::Name(v1::PartChecksum kind) {
  return kind == v1::PART_CHECKSUM_XXH3_128 ? "XXH3-128" : "SHA-256";
}

bool PartChecksum::Known(int kind) {
  return kind == v1::PART_CHECKSUM_SHA256 || kind == v1::PART_CHECKSUM_XXH3_128;
}

}  // namespace mmresync
