#pragma once

// The key a delta repair orders a table by and cuts it into ranges with, and the SQL of
// those ranges. Both agents derive the key from their own information_schema (the table
// definitions were found identical first), and build every literal from their own
// column types: a range on the wire is raw key bytes, never SQL.
//
// The key: PRIMARY, else the first UNIQUE index (by name) whose columns are all NOT
// NULL. Its columns must be of a type whose literal we can write exactly: integers,
// DECIMAL, character strings (as _charset X'..' COLLATE <the column's collation>, so
// comparisons follow the column's order), binary strings (X'..') and temporal types.
// Ranges are tuple comparisons written out column by column, (a > x) OR (a = x AND ...),
// which the range optimizer reads as index ranges on every MariaDB version.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct KeyColumn {
  enum class Kind { kInteger, kDecimal, kString, kBinary, kTemporal };
  std::string name;
  Kind kind = Kind::kInteger;
  std::string charset;    // kString
  std::string collation;  // kString
};

struct TableKey {
  std::string index;  // "PRIMARY" or the unique index's name
  std::vector<KeyColumn> columns;
};

// The usable key of `schema`.`table`, or nullopt with `why_not` set.
struct KeyLookup {
  std::optional<TableKey> key;
  std::string why_not;
};
absl::StatusOr<KeyLookup> LoadTableKey(DbSession& session, const std::string& schema,
                                       const std::string& table);

// `a`, `b`: the key columns, for ORDER BY and SELECT lists.
std::string KeyColumnList(const TableKey& key);

// Where each key column is among the columns `part` selects (its rows' values).
absl::StatusOr<std::vector<size_t>> KeyColumnPositions(const v1::TransferPart& part,
                                                       const TableKey& key);

// The literal for one key value; InvalidArgument when the bytes do not fit the type.
absl::StatusOr<std::string> KeyLiteral(const KeyColumn& column, absl::string_view value);

// A condition selecting the rows of `range` (1 for an unbounded one). InvalidArgument
// when a bound has the wrong number of values or a value does not fit its column.
absl::StatusOr<std::string> RangeCondition(const TableKey& key, const v1::KeyRange& range);

// (range 1) OR (range 2) ...
absl::StatusOr<std::string> RangesCondition(const TableKey& key,
                                            const std::vector<v1::KeyRange>& ranges);

// Most ranges one request may carry.
inline constexpr int kMaxRangesPerRequest = 4096;

}  // namespace mmresync::agent
