#include "agent/key_range.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

std::optional<KeyColumn::Kind> KindOf(const std::string& data_type) {
  static const std::map<std::string, KeyColumn::Kind> kKinds = {
      {"tinyint", KeyColumn::Kind::kInteger},   {"smallint", KeyColumn::Kind::kInteger},
      {"mediumint", KeyColumn::Kind::kInteger}, {"int", KeyColumn::Kind::kInteger},
      {"bigint", KeyColumn::Kind::kInteger},    {"year", KeyColumn::Kind::kInteger},
      {"decimal", KeyColumn::Kind::kDecimal},   {"char", KeyColumn::Kind::kString},
      {"varchar", KeyColumn::Kind::kString},    {"tinytext", KeyColumn::Kind::kString},
      {"text", KeyColumn::Kind::kString},       {"mediumtext", KeyColumn::Kind::kString},
      {"longtext", KeyColumn::Kind::kString},   {"binary", KeyColumn::Kind::kBinary},
      {"varbinary", KeyColumn::Kind::kBinary},  {"tinyblob", KeyColumn::Kind::kBinary},
      {"blob", KeyColumn::Kind::kBinary},       {"mediumblob", KeyColumn::Kind::kBinary},
      {"longblob", KeyColumn::Kind::kBinary},   {"date", KeyColumn::Kind::kTemporal},
      {"datetime", KeyColumn::Kind::kTemporal}, {"timestamp", KeyColumn::Kind::kTemporal},
      {"time", KeyColumn::Kind::kTemporal},
  };
  auto it = kKinds.find(absl::AsciiStrToLower(data_type));
  if (it == kKinds.end()) return std::nullopt;
  return it->second;
}

bool OnlyChars(absl::string_view s, absl::string_view allowed) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && allowed.find(c) == absl::string_view::npos) return false;
  }
  return true;
}

bool IsName(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

bool IsInteger(absl::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  return OnlyChars(s, "");
}

bool IsDecimal(absl::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  size_t dot = s.find('.');
  if (dot == absl::string_view::npos) return OnlyChars(s, "");
  return OnlyChars(s.substr(0, dot), "") && OnlyChars(s.substr(dot + 1), "");
}

// One side of a tuple comparison, lexicographic from column `i` on: `strict_op` for
// the columns before the last, `last_op` for the last.
std::string Lexicographic(const TableKey& key, const std::vector<std::string>& literals, size_t i,
                          absl::string_view strict_op, absl::string_view last_op) {
  const std::string col = QuoteIdentifier(key.columns[i].name);
  if (i + 1 == key.columns.size()) return absl::StrCat(col, " ", last_op, " ", literals[i]);
  return absl::StrCat("(", col, " ", strict_op, " ", literals[i], " OR (", col, " = ", literals[i],
                      " AND ", Lexicographic(key, literals, i + 1, strict_op, last_op), "))");
}

absl::StatusOr<std::vector<std::string>> Literals(
    const TableKey& key, const google::protobuf::RepeatedPtrField<std::string>& values,
    absl::string_view which) {
  if (values.size() != static_cast<int>(key.columns.size())) {
    return absl::InvalidArgumentError(absl::StrCat("key range ", which, " bound has ",
                                                   values.size(), " values; the key has ",
                                                   key.columns.size(), " columns"));
  }
  std::vector<std::string> out;
  for (int i = 0; i < values.size(); ++i) {
    ASSIGN_OR_RETURN(std::string literal, KeyLiteral(key.columns[i], values[i]));
    out.push_back(std::move(literal));
  }
  return out;
}

}  // namespace

absl::StatusOr<KeyLookup> LoadTableKey(DbSession& session, const std::string& schema,
                                       const std::string& table) {
  const std::string where = absl::StrCat("TABLE_SCHEMA = ", QuoteString(session, schema),
                                         " AND TABLE_NAME = ", QuoteString(session, table));
  ASSIGN_OR_RETURN(
      ResultSet index_rows,
      session.Query(absl::StrCat(
          "SELECT INDEX_NAME, COLUMN_NAME, NULLABLE FROM information_schema.STATISTICS "
          "WHERE NON_UNIQUE = 0 AND ",
          where, " ORDER BY INDEX_NAME <> 'PRIMARY', INDEX_NAME, SEQ_IN_INDEX")));
  ASSIGN_OR_RETURN(ResultSet column_rows,
                   session.Query(absl::StrCat(
                       "SELECT COLUMN_NAME, DATA_TYPE, COALESCE(CHARACTER_SET_NAME, '') AS CS, "
                       "COALESCE(COLLATION_NAME, '') AS COLL, IS_NULLABLE FROM "
                       "information_schema.COLUMNS WHERE ",
                       where)));
  std::map<std::string, size_t> column_row;
  for (size_t i = 0; i < column_rows.rows.size(); ++i) {
    column_row[column_rows.GetOr(i, "COLUMN_NAME", "")] = i;
  }
  // Index name -> its columns in order, in the order of preference.
  std::vector<std::pair<std::string, std::vector<std::string>>> indexes;
  for (size_t i = 0; i < index_rows.rows.size(); ++i) {
    const std::string name = index_rows.GetOr(i, "INDEX_NAME", "");
    if (indexes.empty() || indexes.back().first != name) indexes.push_back({name, {}});
    indexes.back().second.push_back(index_rows.GetOr(i, "COLUMN_NAME", ""));
  }
  KeyLookup out;
  if (indexes.empty()) {
    out.why_not = "no primary key and no unique key";
    return out;
  }
  for (const auto& [name, columns] : indexes) {
    TableKey key;
    key.index = name;
    std::string why;
    for (const auto& c : columns) {
      auto it = column_row.find(c);
      if (it == column_row.end()) {
        why = absl::StrCat("key ", name, " column ", c, " not found");
        break;
      }
      const size_t r = it->second;
      if (column_rows.GetOr(r, "IS_NULLABLE", "YES") != "NO") {
        why = absl::StrCat("unique key ", name, " has the nullable column ", c);
        break;
      }
      const std::string type = column_rows.GetOr(r, "DATA_TYPE", "");
      std::optional<KeyColumn::Kind> kind = KindOf(type);
      if (!kind) {
        why = absl::StrCat("key ", name, " column ", c, " is of type ", type,
                           ", which key ranges do not support");
        break;
      }
      KeyColumn kc{c, *kind, column_rows.GetOr(r, "CS", ""), column_rows.GetOr(r, "COLL", "")};
      if (kc.kind == KeyColumn::Kind::kString && (!IsName(kc.charset) || !IsName(kc.collation))) {
        why = absl::StrCat("key ", name, " column ", c, " has no usable collation");
        break;
      }
      key.columns.push_back(std::move(kc));
    }
    if (why.empty()) {
      out.key = std::move(key);
      return out;
    }
    if (out.why_not.empty()) out.why_not = why;
  }
  return out;
}

std::string KeyColumnList(const TableKey& key) {
  std::vector<std::string> names;
  for (const auto& c : key.columns) names.push_back(QuoteIdentifier(c.name));
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<std::string> KeyLiteral(const KeyColumn& column, absl::string_view value) {
  switch (column.kind) {
    case KeyColumn::Kind::kInteger:
      if (IsInteger(value)) return std::string(value);
      break;
    case KeyColumn::Kind::kDecimal:
      if (IsDecimal(value)) return std::string(value);
      break;
    case KeyColumn::Kind::kTemporal:
      if (OnlyChars(value, " :.-")) return absl::StrCat("'", value, "'");
      break;
    case KeyColumn::Kind::kBinary:
      return absl::StrCat("X'", absl::BytesToHexString(value), "'");
    case KeyColumn::Kind::kString:
      return absl::StrCat("_", column.charset, " X'", absl::BytesToHexString(value), "' COLLATE ",
                          column.collation);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("key value for column ", column.name, " is not of its type"));
}

// Key columns are NOT NULL and selected as they are (only FLOAT/DOUBLE are cast, and they
// are never keys).
absl::StatusOr<std::vector<size_t>> KeyColumnPositions(const v1::TransferPart& part,
                                                       const TableKey& key) {
  std::vector<size_t> at;
  for (const auto& k : key.columns) {
    int found = -1;
    for (int i = 0; i < part.columns_size(); ++i) {
      if (part.columns(i).name() == k.name && !part.columns(i).as_double()) found = i;
    }
    if (found < 0) {
      return absl::InternalError(absl::StrCat("key column ", QuoteIdentifier(k.name), " of ",
                                              QuoteIdentifier(part.table()),
                                              " is not among the columns the source sends"));
    }
    at.push_back(static_cast<size_t>(found));
  }
  return at;
}

absl::StatusOr<std::string> RangeCondition(const TableKey& key, const v1::KeyRange& range) {
  std::vector<std::string> parts;
  if (range.lower_size() > 0) {
    ASSIGN_OR_RETURN(std::vector<std::string> lower, Literals(key, range.lower(), "lower"));
    parts.push_back(Lexicographic(key, lower, 0, ">", ">"));
  }
  if (range.upper_size() > 0) {
    ASSIGN_OR_RETURN(std::vector<std::string> upper, Literals(key, range.upper(), "upper"));
    parts.push_back(Lexicographic(key, upper, 0, "<", "<="));
  }
  if (parts.empty()) return std::string("1");
  return absl::StrCat("(", absl::StrJoin(parts, " AND "), ")");
}

absl::StatusOr<std::string> RangesCondition(const TableKey& key,
                                            const std::vector<v1::KeyRange>& ranges) {
  if (ranges.empty()) return std::string("0");
  std::vector<std::string> parts;
  for (const auto& r : ranges) {
    ASSIGN_OR_RETURN(std::string c, RangeCondition(key, r));
    parts.push_back(std::move(c));
  }
  return absl::StrJoin(parts, " OR ");
}

}  // namespace mmresync::agent
