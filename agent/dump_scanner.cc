#include "agent/dump_scanner.h"
#include "absl/strings/string_view.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace mmresync::agent {

std::optional<SnapshotCoordinates> DumpScanner::ParseChangeMaster(absl::string_view text) {
  constexpr absl::string_view kFile = "CHANGE MASTER TO MASTER_LOG_FILE='";
  size_t at = text.find(kFile);
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view rest = text.substr(at + kFile.size());
  size_t quote = rest.find('\'');
  if (quote == absl::string_view::npos) return std::nullopt;
  SnapshotCoordinates c;
  c.file = std::string(rest.substr(0, quote));
  rest = rest.substr(quote + 1);
  constexpr absl::string_view kPos = ", MASTER_LOG_POS=";
  if (!absl::ConsumePrefix(&rest, kPos)) return std::nullopt;
  size_t end = 0;
  while (end < rest.size() && rest[end] >= '0' && rest[end] <= '9') ++end;
  if (end == 0 || !absl::SimpleAtoi(rest.substr(0, end), &c.position)) return std::nullopt;
  return c;
}

void DumpScanner::Feed(absl::string_view data) {
  if (!header_done_) {
    absl::string_view head = data.substr(0, kHeaderLimit - std::min(kHeaderLimit, header_.size()));
    header_.append(head.data(), head.size());
    // Only complete lines can be parsed; the comment ends with ";\n".
    size_t line_end = header_.rfind('\n');
    if (line_end != std::string::npos) {
      coordinates_ = ParseChangeMaster(absl::string_view(header_).substr(0, line_end));
    }
    if (coordinates_.has_value() || header_.size() >= kHeaderLimit) {
      header_done_ = true;
      header_.clear();
      header_.shrink_to_fit();
    }
  }
  if (data.size() >= kTailKeep) {
    tail_.assign(data.data() + data.size() - kTailKeep, kTailKeep);
  } else {
    tail_.append(data.data(), data.size());
    if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
  }
}

bool DumpScanner::footer_seen() const {
  // mariadb-dump ends with "-- Dump completed on <date>\n" (or "-- Dump completed\n"
  // with --skip-dump-date); only the last line counts.
  absl::string_view tail = absl::StripTrailingAsciiWhitespace(tail_);
  size_t line = tail.rfind('\n');
  absl::string_view last = line == absl::string_view::npos ? tail : tail.substr(line + 1);
  return absl::StartsWith(last, "-- Dump completed");
}

}  // namespace mmresync::agent
