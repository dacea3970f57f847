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

// Both sides read at once: the cost is the slower side's, not the sum.
absl::StatusOr<DigestedRanges> DigestBothSides(std::vector<v1::KeyRange> ranges,
                                               RangeOracle& oracle) {
  auto source = std::async(std::launch::async, [&] { return oracle.Source(ranges); });
  absl::StatusOr<std::vector<RangeSummary>> target = oracle.Target(ranges);
  absl::StatusOr<std::vector<RangeSummary>> from_source = source.get();
  RETURN_IF_ERROR(from_source.status());
  RETURN_IF_ERROR(target.status());
  return DigestedRanges{std::move(ranges), *std::move(from_source), *std::move(target)};
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

absl::StatusOr<std::vector<v1::KeyRange>> NarrowDifferingRanges(DigestedRanges round,
                                                                RangeOracle& oracle,
                                                                uint64_t leaf_rows,
                                                                BisectionStats* stats) {
  if (leaf_rows == 0) return absl::InvalidArgumentError("leaf_rows must be at least 1");
  std::vector<v1::KeyRange> leaves;
  for (uint64_t rounds = 1; !round.ranges.empty(); ++rounds) {
    if (round.source.size() != round.ranges.size() || round.target.size() != round.ranges.size()) {
      return absl::InternalError("a side returned a digest count unlike the range count");
    }
    ++stats->rounds;
    std::vector<v1::KeyRange> next;
    for (size_t i = 0; i < round.ranges.size(); ++i) {
      const RangeSummary& s = round.source[i];
      const RangeSummary& t = round.target[i];
      ++stats->compared;
      stats->source_bytes += s.bytes;
      stats->target_bytes += t.bytes;
      if (s.sha256 == t.sha256 && s.rows == t.rows) continue;
      if (t.rows <= leaf_rows) {
        leaves.push_back(round.ranges[i]);
        continue;
      }
      // Cut after the target's middle row: both halves hold fewer target rows.
      ASSIGN_OR_RETURN(std::vector<std::string> mid,
                       oracle.TargetKeyAt(round.ranges[i], t.rows / 2));
      v1::KeyRange low = round.ranges[i];
      v1::KeyRange high = round.ranges[i];
      SetBound(low.mutable_upper(), mid);
      SetBound(high.mutable_lower(), mid);
      next.push_back(std::move(low));
      next.push_back(std::move(high));
    }
    if (next.empty()) break;
    if (rounds >= kMaxRounds) {
      return absl::InternalError(absl::StrCat("bisection did not converge in ", kMaxRounds,
                                              " rounds (", next.size(), " ranges left)"));
    }
    ASSIGN_OR_RETURN(round, DigestBothSides(std::move(next), oracle));
  }
  return leaves;
}

absl::StatusOr<std::vector<v1::KeyRange>> FindDifferingRanges(
    const std::vector<v1::KeyRange>& initial, RangeOracle& oracle, uint64_t leaf_rows,
    BisectionStats* stats) {
  if (leaf_rows == 0) return absl::InvalidArgumentError("leaf_rows must be at least 1");
  if (initial.empty()) return std::vector<v1::KeyRange>();
  ASSIGN_OR_RETURN(DigestedRanges first, DigestBothSides(initial, oracle));
  return NarrowDifferingRanges(std::move(first), oracle, leaf_rows, stats);
}

}  // namespace mmresync::agent
