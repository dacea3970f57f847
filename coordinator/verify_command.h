#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

// `mmresync verify`: wait (at most `timeout`) until each node has applied the other's
// current position, then compare per-table checksums and row counts. A replication
// thread stopped on an error fails at once with that error. Exit 0 equal, 1 any
// mismatch, replication stopped or not caught up, 2 error.
int RunVerify(const std::string& config_flag, bool json, absl::Duration timeout);

// "schema.table: ..." for every table that differs or exists on one side only.
std::vector<std::string> CompareChecksums(const std::string& name_a, const v1::ChecksumReply& a,
                                          const std::string& name_b, const v1::ChecksumReply& b);

}  // namespace mmresync::coordinator
