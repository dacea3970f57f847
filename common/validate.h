#pragma once

// Checks for every value that arrives over the wire before it is used. Each returns
// InvalidArgument naming the field, so a hostile or buggy peer gets a clear refusal
// and nothing is changed.

#include <cstdint>
#include <string_view>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace mmresync {

// Node names: [A-Za-z0-9_.-]{1,64}.
absl::Status ValidateNodeName(absl::string_view field, absl::string_view value);
// Run ids: [A-Za-z0-9_-]{1,64}.
absl::Status ValidateRunId(absl::string_view value);
// Transfer tokens: exactly 64 lowercase hex characters.
absl::Status ValidateToken(absl::string_view value);
// Transfer session ids: exactly 32 lowercase hex characters.
absl::Status ValidateSessionId(absl::string_view value);
// Binlog file names as MariaDB writes them: [A-Za-z0-9_.-]{1,255}, not "." or "..",
// no path separators.
absl::Status ValidateBinlogFile(absl::string_view field, absl::string_view value);
// Positions: 4 .. 2^63-1 (a binlog starts with a 4-byte magic).
absl::Status ValidateBinlogPosition(absl::string_view field, uint64_t value);
// Host names and IP literals usable as MASTER_HOST: [A-Za-z0-9.:_-]{1,253}.
absl::Status ValidateHost(absl::string_view field, absl::string_view value);
absl::Status ValidatePort(absl::string_view field, uint64_t value);
// host:port, [v6]:port.
absl::Status ValidateHostPort(absl::string_view field, absl::string_view value);
// MariaDB GTID lists: "D-S-N" entries separated by commas, or empty.
absl::Status ValidateGtidList(absl::string_view field, absl::string_view value);

}  // namespace mmresync
