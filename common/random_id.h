#pragma once

// Unguessable identifiers (transfer tokens, session ids) from OpenSSL's CSPRNG.

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace mmresync {

// `bytes` random bytes as lowercase hex (2 * bytes characters).
absl::StatusOr<std::string> RandomHex(size_t bytes);

}  // namespace mmresync
