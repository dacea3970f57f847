#include "agent/delta_compare.h"

#include "absl/strings/str_cat.h"
#include "agent/load_data_format.h"
#include "agent/row_digest.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

std::vector<std::string> KeyOfRow(const DbSession::RowValues& row) {
  std::vector<std::string> key;
  for (const auto& v : row) key.emplace_back(v.value_or(""));  // key columns are NOT NULL
  return key;
}

class TableOracle : public RangeOracle {
 public:
  TableOracle(DbSession& reader, TransferPeer& peer, const v1::TransferPart& part,
              const TableKey& key)
      : reader_(reader), peer_(peer), part_(part), key_(key) {}

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
    return LocalDigests(reader_, part_, key_, ranges);
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
};

}  // namespace

absl::StatusOr<std::vector<RangeSummary>> LocalDigests(DbSession& reader,
                                                       const v1::TransferPart& part,
                                                       const TableKey& key,
                                                       const std::vector<v1::KeyRange>& ranges) {
  const std::string select = SelectColumnsSql(part);
  const std::string order = KeyColumnList(key);
  std::vector<RangeSummary> out;
  for (const auto& range : ranges) {
    ASSIGN_OR_RETURN(std::string where, RangeCondition(key, range));
    RowDigest digest;
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
                                             uint64_t chunk_rows, uint64_t leaf_rows) {
  // The first cut: every chunk_rows-th key of the target's, in key order.
  std::vector<std::vector<std::string>> boundaries;
  uint64_t n = 0;
  const std::string columns = KeyColumnList(key);
  RETURN_IF_ERROR(
      reader.StreamRows(absl::StrCat("SELECT ", columns, " FROM ", QuoteIdentifier(part.schema()),
                                     ".", QuoteIdentifier(part.table()), " ORDER BY ", columns),
                        [&](const DbSession::RowValues& row) {
                          if (++n % chunk_rows == 0) boundaries.push_back(KeyOfRow(row));
                          return absl::OkStatus();
                        }));
  TableOracle oracle(reader, peer, part, key);
  TableComparison out;
  ASSIGN_OR_RETURN(out.differing,
                   FindDifferingRanges(RangesBetween(boundaries), oracle, leaf_rows, &out.stats));
  return out;
}

}  // namespace mmresync::agent
