#include "agent/range_bisection.h"

#include <future>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// Each round at least halves the target rows of every range still in question, so 64
// rounds reach single rows in any table; more means the oracle misbehaves.
constexpr uint64_t kMaxRounds = 80;

void SetBound(google::protobuf::RepeatedPtrField<std::string>* bound,
              const std::vector<std::string>& key) {
  bound->Clear();
  for (const auto& v : key) *bound->Add() = v;
}

}  // namespace

std::vector<v1::KeyRange> RangesBetween(const std::vector<std::vector<std::string>>& boundaries) {
  std::vector<v1::KeyRange> ranges(boundaries.size() + 1);
  for (size_t i = 0; i < boundaries.size(); ++i) {
    SetBound(ranges[i].mutable_upper(), boundaries[i]);
    SetBound(ranges[i + 1].mutable_lower(), boundaries[i]);
  }
  return ranges;
}

absl::StatusOr<std::vector<v1::KeyRange>> FindDifferingRanges(
    const std::vector<v1::KeyRange>& initial, RangeOracle& oracle, uint64_t leaf_rows,
    BisectionStats* stats) {
  if (leaf_rows == 0) return absl::InvalidArgumentError("leaf_rows must be at least 1");
  std::vector<v1::KeyRange> pending = initial;
  std::vector<v1::KeyRange> leaves;
  for (uint64_t round = 0; !pending.empty(); ++round) {
    if (round >= kMaxRounds) {
      return absl::InternalError(absl::StrCat("bisection did not converge in ", kMaxRounds,
                                              " rounds (", pending.size(), " ranges left)"));
    }
    ++stats->rounds;
    // Both sides read at once: the cost is the slower side's, not the sum.
    auto source = std::async(std::launch::async, [&] { return oracle.Source(pending); });
    absl::StatusOr<std::vector<RangeSummary>> target = oracle.Target(pending);
    absl::StatusOr<std::vector<RangeSummary>> from_source = source.get();
    RETURN_IF_ERROR(from_source.status());
    RETURN_IF_ERROR(target.status());
    if (from_source->size() != pending.size() || target->size() != pending.size()) {
      return absl::InternalError("a side returned a digest count unlike the range count");
    }
    std::vector<v1::KeyRange> next;
    for (size_t i = 0; i < pending.size(); ++i) {
      const RangeSummary& s = (*from_source)[i];
      const RangeSummary& t = (*target)[i];
      ++stats->compared;
      stats->source_bytes += s.bytes;
      stats->target_bytes += t.bytes;
      if (s.sha256 == t.sha256 && s.rows == t.rows) continue;
      if (t.rows <= leaf_rows) {
        leaves.push_back(pending[i]);
        continue;
      }
      // Cut after the target's middle row: both halves hold fewer target rows.
      ASSIGN_OR_RETURN(std::vector<std::string> mid, oracle.TargetKeyAt(pending[i], t.rows / 2));
      v1::KeyRange low = pending[i];
      v1::KeyRange high = pending[i];
      SetBound(low.mutable_upper(), mid);
      SetBound(high.mutable_lower(), mid);
      next.push_back(std::move(low));
      next.push_back(std::move(high));
    }
    pending = std::move(next);
  }
  return leaves;
}

}  // namespace mmresync::agent
