#pragma once

// An in-memory table keyed by one integer column, and its digests per key range as an
// agent computes them: the stand-in for one side of a delta comparison in unit tests.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/range_bisection.h"
#include "agent/row_digest.h"
#include "gtest/gtest.h"

namespace mmresync::agent::fakes {

using IntKeyTable = std::map<int, std::string>;  // key -> the row's other value

inline int IntKeyOf(const std::string& s) {
  int k = 0;
  EXPECT_TRUE(absl::SimpleAtoi(s, &k)) << s;
  return k;
}

// lower < key <= upper, an empty bound unbounded.
inline bool InIntRange(int key, const v1::KeyRange& r) {
  return (r.lower().empty() || key > IntKeyOf(r.lower(0))) &&
         (r.upper().empty() || key <= IntKeyOf(r.upper(0)));
}

inline std::vector<RangeSummary> IntKeySummaries(
    const IntKeyTable& t, const std::vector<v1::KeyRange>& ranges,
    v1::RowEncoding encoding = v1::ROW_ENCODING_FIXED_LENGTH) {
  std::vector<RangeSummary> out;
  for (const auto& r : ranges) {
    RowDigest d(encoding);
    for (const auto& [k, v] : t) {
      if (!InIntRange(k, r)) continue;
      const std::string key = absl::StrCat(k);
      d.Add({absl::string_view(key), absl::string_view(v)});
    }
    out.push_back({d.Hex(), d.rows(), d.bytes()});
  }
  return out;
}

}  // namespace mmresync::agent::fakes
