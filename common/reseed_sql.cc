#include "common/reseed_sql.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace mmresync {

std::string QuoteIdentifier(absl::string_view name) {
  return absl::StrCat("`", absl::StrReplaceAll(name, {{"`", "``"}}), "`");
}

std::string QualifiedName(absl::string_view schema, absl::string_view table) {
  return absl::StrCat(QuoteIdentifier(schema), ".", QuoteIdentifier(table));
}

std::string DropSchemaStatement(absl::string_view schema) {
  return absl::StrCat("DROP DATABASE ", QuoteIdentifier(schema));
}

std::string DropTriggerStatement(absl::string_view schema, absl::string_view trigger) {
  return absl::StrCat("DROP TRIGGER ", QualifiedName(schema, trigger));
}

std::string DropEventStatement(absl::string_view schema, absl::string_view event) {
  return absl::StrCat("DROP EVENT ", QualifiedName(schema, event));
}

std::string ParkTablesStatement(const std::vector<TableMove>& moves) {
  std::vector<std::string> pairs;
  for (const TableMove& m : moves) {
    pairs.push_back(absl::StrCat(QualifiedName(m.schema, m.table), " TO ",
                                 QualifiedName(m.to_schema, m.table)));
  }
  return absl::StrCat("RENAME TABLE ", absl::StrJoin(pairs, ", "));
}

const std::vector<std::string>& LoaderSessionStatements() {
  static const std::vector<std::string> kStatements = {
      std::string(kBinlogOffStatement),
      "SET SESSION foreign_key_checks = 0",
      "SET SESSION unique_checks = 0",
      "SET SESSION time_zone = '+00:00'",
      // Not strict, so zero dates and the like load as they were stored; any warning
      // still fails the part. Explicit 0 in an AUTO_INCREMENT column stays 0.
      "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
  };
  return kStatements;
}

std::string LoadDataStatement(absl::string_view schema, absl::string_view table,
                              const std::vector<std::string>& targets,
                              const std::vector<std::string>& sets) {
  std::string sql = absl::StrCat("LOAD DATA LOCAL INFILE 'mmresync-part' INTO TABLE ",
                                 QualifiedName(schema, table),
                                 " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY "
                                 "'\\\\' LINES TERMINATED BY '\\n' (",
                                 absl::StrJoin(targets, ", "), ")");
  if (!sets.empty()) absl::StrAppend(&sql, " SET ", absl::StrJoin(sets, ", "));
  return sql;
}

std::string DeleteRangesStatement(absl::string_view schema, absl::string_view table,
                                  absl::string_view where) {
  return absl::StrCat("DELETE FROM ", QualifiedName(schema, table), " WHERE ", where);
}

}  // namespace mmresync
