#pragma once

// MariaDB GTID lists ("domain-server-seq,..."), as @@gtid_binlog_pos, @@gtid_slave_pos and
// @@gtid_binlog_state print them, parsed to compare positions domain by domain.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmresync {

struct Gtid {
  uint32_t domain = 0;
  uint32_t server = 0;
  uint64_t seq = 0;
  bool operator==(const Gtid&) const = default;
};

// "" is the empty list; an entry that is not domain-server-sequence (an empty one
// included) is InvalidArgument naming it.
absl::StatusOr<std::vector<Gtid>> ParseGtidList(absl::string_view text);

// "1-1-20,2-2-7", in the order given.
std::string FormatGtidList(const std::vector<Gtid>& list);

// One GTID per domain, sorted by domain: where both positions have a domain, the one with
// the higher sequence number (sequence numbers grow across a whole domain); a domain in
// only one of them is kept as it is.
std::vector<Gtid> NewestPerDomain(const std::vector<Gtid>& a, const std::vector<Gtid>& b);

}  // namespace mmresync
