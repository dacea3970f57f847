#pragma once

// Watches a mariadb-dump output stream as it passes, without holding it: finds the
// snapshot's binlog coordinates (the "-- CHANGE MASTER TO" comment --master-data=2
// writes near the top) and whether the stream ends with "-- Dump completed" (a dump
// without that footer was cut short).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include "absl/strings/string_view.h"

namespace mmresync::agent {

struct SnapshotCoordinates {
  std::string file;
  uint64_t position = 0;
};

class DumpScanner {
 public:
  void Feed(absl::string_view data);
  std::optional<SnapshotCoordinates> coordinates() const { return coordinates_; }
  bool footer_seen() const;

  // Parses one "CHANGE MASTER TO MASTER_LOG_FILE='f', MASTER_LOG_POS=n" text.
  static std::optional<SnapshotCoordinates> ParseChangeMaster(absl::string_view text);

 private:
  static constexpr size_t kHeaderLimit = 1 << 20;  // the comment is in the first lines
  static constexpr size_t kTailKeep = 512;
  std::string header_;
  bool header_done_ = false;
  std::string tail_;
  std::optional<SnapshotCoordinates> coordinates_;
};

}  // namespace mmresync::agent
