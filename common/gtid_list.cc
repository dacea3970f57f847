#include "common/gtid_list.h"

#include <map>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mmresync {

absl::StatusOr<std::vector<Gtid>> ParseGtidList(absl::string_view text) {
  std::vector<Gtid> out;
  if (absl::StripAsciiWhitespace(text).empty()) return out;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    std::vector<absl::string_view> parts = absl::StrSplit(entry, '-');
    Gtid g;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &g.domain) ||
        !absl::SimpleAtoi(parts[1], &g.server) || !absl::SimpleAtoi(parts[2], &g.seq)) {
      return absl::InvalidArgumentError(
          absl::StrCat("GTID list: \"", entry, "\" is not domain-server-sequence"));
    }
    out.push_back(g);
  }
  return out;
}

std::string FormatGtidList(const std::vector<Gtid>& list) {
  return absl::StrJoin(list, ",", [](std::string* out, const Gtid& g) {
    absl::StrAppend(out, g.domain, "-", g.server, "-", g.seq);
  });
}

std::vector<Gtid> NewestPerDomain(const std::vector<Gtid>& a, const std::vector<Gtid>& b) {
  std::map<uint32_t, Gtid> newest;
  for (const std::vector<Gtid>* list : {&a, &b}) {
    for (const Gtid& g : *list) {
      auto [it, inserted] = newest.emplace(g.domain, g);
      if (!inserted && g.seq > it->second.seq) it->second = g;
    }
  }
  std::vector<Gtid> out;
  for (const auto& [domain, g] : newest) out.push_back(g);
  return out;
}

}  // namespace mmresync
