#include "agent/table_definition.h"

#include <map>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/row_digest.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

absl::StatusOr<std::string> DigestOf(DbSession& session, const std::string& sql) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query(sql));
  // Not a range digest: the encoding every agent version uses for definitions.
  RowDigest digest(v1::ROW_ENCODING_FIXED_LENGTH);
  for (const auto& row : rs.rows) {
    DbSession::RowValues values;
    for (const auto& v : row) {
      values.push_back(v.has_value() ? std::optional<absl::string_view>(*v) : std::nullopt);
    }
    digest.Add(values);
  }
  return digest.Hex();
}

}  // namespace

absl::StatusOr<std::string> ShowCreateTable(DbSession& session, const std::string& schema,
                                            const std::string& table) {
  ASSIGN_OR_RETURN(ResultSet rs,
                   session.Query(absl::StrCat("SHOW CREATE TABLE ", QuoteIdentifier(schema), ".",
                                              QuoteIdentifier(table))));
  if (rs.rows.empty() || rs.rows[0].size() < 2 || !rs.rows[0][1].has_value()) {
    return absl::InternalError(absl::StrCat("SHOW CREATE TABLE ", QuoteIdentifier(schema), ".",
                                            QuoteIdentifier(table), " returned nothing"));
  }
  return *rs.rows[0][1];
}

std::string ComparableCreateTable(const std::string& create_table) {
  // The table options follow the last ')' of the column list.
  const size_t close = create_table.rfind(')');
  if (close == std::string::npos) return create_table;
  static const std::regex kAutoIncrement(" AUTO_INCREMENT=[0-9]+");
  return create_table.substr(0, close) +
         std::regex_replace(create_table.substr(close), kAutoIncrement, "");
}

absl::StatusOr<std::string> DefinitionsDigest(DbSession& session,
                                              const std::vector<std::string>& schemas) {
  const std::string in = QuoteStringList(session, schemas);
  ASSIGN_OR_RETURN(std::string schema_digest,
                   DigestOf(session, absl::StrCat("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, "
                                                  "DEFAULT_COLLATION_NAME FROM "
                                                  "information_schema.SCHEMATA WHERE SCHEMA_NAME "
                                                  "IN (",
                                                  in, ") ORDER BY 1")));
  ASSIGN_OR_RETURN(
      std::string view_digest,
      DigestOf(session, absl::StrCat("SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION, "
                                     "CHECK_OPTION, DEFINER, SECURITY_TYPE, CHARACTER_SET_CLIENT, "
                                     "COLLATION_CONNECTION, ALGORITHM FROM "
                                     "information_schema.VIEWS WHERE TABLE_SCHEMA IN (",
                                     in, ") ORDER BY 1, 2")));
  ASSIGN_OR_RETURN(
      std::string routine_digest,
      DigestOf(session,
               absl::StrCat("SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, "
                            "ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, "
                            "SQL_MODE, ROUTINE_COMMENT, DEFINER, CHARACTER_SET_CLIENT, "
                            "COLLATION_CONNECTION, DATABASE_COLLATION FROM "
                            "information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (",
                            in, ") ORDER BY 1, 2, 3")));
  ASSIGN_OR_RETURN(
      std::string parameter_digest,
      DigestOf(session, absl::StrCat("SELECT SPECIFIC_SCHEMA, SPECIFIC_NAME, ROUTINE_TYPE, "
                                     "ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, "
                                     "DTD_IDENTIFIER FROM information_schema.PARAMETERS WHERE "
                                     "SPECIFIC_SCHEMA IN (",
                                     in, ") ORDER BY 1, 2, 3, 4")));
  return absl::StrCat("schemas=", schema_digest, " views=", view_digest,
                      " routines=", routine_digest, "+", parameter_digest);
}

std::vector<std::string> DifferingDefinitions(const std::string& a, const std::string& b) {
  auto parse = [](const std::string& text) {
    std::map<std::string, std::string> out;
    for (absl::string_view item : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
      out[kv.first] = kv.second;
    }
    return out;
  };
  std::map<std::string, std::string> pa = parse(a), pb = parse(b);
  std::vector<std::string> differ;
  for (const char* name : {"schemas", "views", "routines"}) {
    if (pa[name] != pb[name] || pa[name].empty()) differ.push_back(name);
  }
  return differ;
}

}  // namespace mmresync::agent
