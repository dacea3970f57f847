#include "agent/delta_compare.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "agent/load_data_format.h"
#include "agent/row_digest.h"
#include "agent/source_digester.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

class TableOracle : public RangeOracle {
 public:
  TableOracle(DbSession& reader, TransferPeer& peer, const v1::TransferPart& part,
              const TableKey& key, v1::RowEncoding encoding)
      : reader_(reader), peer_(peer), part_(part), key_(key), encoding_(encoding) {}

  absl::StatusOr<std::vector<RangeSummary>> Source(
      const std::vector<v1::KeyRange>& ranges) override {
    std::vector<RangeSummary> out;
    for (size_t pos = 0; pos < ranges.size(); pos += kMaxRangesPerRequest) {
      std::vector<v1::KeyRange> batch(
          ranges.begin() + pos,
          ranges.begin() + std::min(ranges.size(), pos + kMaxRangesPerRequest));
      ASSIGN_OR_RETURN(v1::DigestChunksReply reply, peer_.DigestChunks(part_.id(), batch));
      for (const auto& c : reply.chunks()) out.push_back({c.sha256(), c.rows(), c.bytes()});
    }
    return out;
  }

  absl::StatusOr<std::vector<RangeSummary>> Target(
      const std::vector<v1::KeyRange>& ranges) override {
    return LocalDigests(reader_, part_, key_, ranges, encoding_);
  }

  absl::StatusOr<std::vector<std::string>> TargetKeyAt(const v1::KeyRange& range,
                                                       uint64_t n) override {
    ASSIGN_OR_RETURN(std::string where, RangeCondition(key_, range));
    const std::string columns = KeyColumnList(key_);
    ASSIGN_OR_RETURN(
        ResultSet rs,
        reader_.Query(absl::StrCat("SELECT ", columns, " FROM ", QuoteIdentifier(part_.schema()),
                                   ".", QuoteIdentifier(part_.table()), " WHERE ", where,
                                   " ORDER BY ", columns, " LIMIT 1 OFFSET ", n - 1)));
    if (rs.rows.empty()) {
      return absl::InternalError(absl::StrCat("the target's table ", QuoteIdentifier(part_.table()),
                                              " has no row ", n, " in a range it counted"));
    }
    std::vector<std::string> key;
    for (const auto& v : rs.rows[0]) key.push_back(v.value_or(""));
    return key;
  }

 private:
  DbSession& reader_;
  TransferPeer& peer_;
  const v1::TransferPart& part_;
  const TableKey& key_;
  const v1::RowEncoding encoding_;
};

// Why the table is better copied whole, or "" when it is to be bisected.
absl::StatusOr<std::string> MostlyDiffering(const DigestedRanges& first, uint64_t min_ranges) {
  const size_t n = first.ranges.size();
  if (first.source.size() != n || first.target.size() != n) {
    return absl::InternalError("a side returned a digest count unlike the range count");
  }
  size_t differ = 0;
  for (size_t i = 0; i < n; ++i) {
    differ += first.source[i].sha256 != first.target[i].sha256 ||
              first.source[i].rows != first.target[i].rows;
  }
  if (n < min_ranges || differ * 2 <= n) return std::string();
  return absl::StrCat(differ, " of its ", n, " ranges differ");
}

}  // namespace

absl::StatusOr<std::vector<RangeSummary>> LocalDigests(DbSession& reader,
                                                       const v1::TransferPart& part,
                                                       const TableKey& key,
                                                       const std::vector<v1::KeyRange>& ranges,
                                                       v1::RowEncoding encoding) {
  const std::string select = SelectColumnsSql(part);
  const std::string order = KeyColumnList(key);
  std::vector<RangeSummary> out;
  for (const auto& range : ranges) {
    ASSIGN_OR_RETURN(std::string where, RangeCondition(key, range));
    RowDigest digest(encoding);
    RETURN_IF_ERROR(reader.StreamRows(absl::StrCat(select, " WHERE ", where, " ORDER BY ", order),
                                      [&](const DbSession::RowValues& row) {
                                        digest.Add(row);
                                        return absl::OkStatus();
                                      }));
    out.push_back({digest.Hex(), digest.rows(), digest.bytes()});
  }
  return out;
}

absl::StatusOr<TableComparison> CompareTable(DbSession& reader, TransferPeer& peer,
                                             const v1::TransferPart& part, const TableKey& key,
                                             const CompareLimits& limits) {
  if (limits.chunk_rows == 0 || limits.chunk_bytes == 0) {
    return absl::InvalidArgumentError("chunk_rows and chunk_bytes must be at least 1");
  }
  ASSIGN_OR_RETURN(std::vector<size_t> key_at, KeyColumnPositions(part, key));
  // One pass over the target's table in key order digests it and cuts it into chunks;
  // the source digests each chunk as soon as it is cut.
  DigestedRanges first;
  SourceDigester source(peer, part.id());
  v1::KeyRange current;
  std::optional<RowDigest> digest;
  digest.emplace(limits.row_encoding);
  auto close = [&](const DbSession::RowValues* last) -> absl::Status {
    if (last != nullptr) {
      for (size_t i : key_at) *current.add_upper() = std::string((*last)[i].value_or(""));
    }
    first.target.push_back({digest->Hex(), digest->rows(), digest->bytes()});
    first.ranges.push_back(current);
    RETURN_IF_ERROR(source.Add(current));
    current.clear_lower();
    current.mutable_lower()->Swap(current.mutable_upper());
    digest.emplace(limits.row_encoding);
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(reader.StreamRows(
      absl::StrCat(SelectColumnsSql(part), " ORDER BY ", KeyColumnList(key)),
      [&](const DbSession::RowValues& row) -> absl::Status {
        digest->Add(row);
        if (digest->rows() < limits.chunk_rows && digest->bytes() < limits.chunk_bytes) {
          return absl::OkStatus();
        }
        if (limits.cancelled && limits.cancelled()) {
          return absl::CancelledError("import cancelled");
        }
        return close(&row);
      }));
  RETURN_IF_ERROR(close(nullptr));  // (last key, +inf): the source's rows past the target's
  ASSIGN_OR_RETURN(first.source, source.Finish());
  TableComparison out;
  ASSIGN_OR_RETURN(out.copy_whole, MostlyDiffering(first, limits.copy_whole_min_ranges));
  if (!out.copy_whole.empty()) {
    out.stats.rounds = 1;
    out.stats.compared = first.ranges.size();
    for (const RangeSummary& s : first.source) out.stats.source_bytes += s.bytes;
    for (const RangeSummary& t : first.target) out.stats.target_bytes += t.bytes;
    return out;
  }
  TableOracle oracle(reader, peer, part, key, limits.row_encoding);
  ASSIGN_OR_RETURN(out.differing,
                   NarrowDifferingRanges(std::move(first), oracle, limits.leaf_rows, &out.stats));
  return out;
}

}  // namespace mmresync::agent
