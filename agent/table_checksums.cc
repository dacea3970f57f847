#include "agent/table_checksums.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/node_facts.h"
#include "agent/replicated_schemas.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

absl::StatusOr<std::optional<std::string>> StoredRowsSum(DbSession& session,
                                                         const std::string& name,
                                                         const std::vector<std::string>& columns) {
  if (columns.empty()) return std::optional<std::string>("0");
  ASSIGN_OR_RETURN(
      ResultSet sum,
      session.Query(absl::StrCat(
          "SELECT IFNULL(MOD(SUM(CAST(CONV(LEFT(SHA2(CONCAT_WS(',', ", absl::StrJoin(columns, ", "),
          "), 256), 15), 16, 10) AS UNSIGNED)), 18446744073709551616), 0) AS Checksum FROM ",
          name)));
  return sum.Get(0, "Checksum");
}

}  // namespace

absl::StatusOr<VirtualColumnTables> TablesWithVirtualColumns(DbSession& session) {
  ASSIGN_OR_RETURN(
      ResultSet columns,
      session.Query("SELECT TABLE_SCHEMA AS S, TABLE_NAME AS N, COLUMN_NAME AS C, DATA_TYPE AS T, "
                    "EXTRA AS E FROM information_schema.COLUMNS WHERE (TABLE_SCHEMA, TABLE_NAME) "
                    "IN (SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.COLUMNS WHERE "
                    "EXTRA LIKE '%VIRTUAL%') ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"));
  VirtualColumnTables out;
  for (size_t i = 0; i < columns.rows.size(); ++i) {
    std::vector<std::string>& cols = out[{columns.GetOr(i, "S", ""), columns.GetOr(i, "N", "")}];
    if (absl::StrContains(columns.GetOr(i, "E", ""), "VIRTUAL")) continue;
    std::string value = QuoteIdentifier(columns.GetOr(i, "C", ""));
    // A FLOAT's own text has 6 significant digits.
    if (columns.GetOr(i, "T", "") == "float") value = absl::StrCat("CAST(", value, " AS DOUBLE)");
    cols.push_back(absl::StrCat("IFNULL(HEX(CAST(", value, " AS BINARY)), 'N')"));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> TableChecksum(DbSession& session,
                                                         const VirtualColumnTables& with_virtual,
                                                         const std::string& schema,
                                                         const std::string& table) {
  const std::string name = absl::StrCat(QuoteIdentifier(schema), ".", QuoteIdentifier(table));
  if (auto v = with_virtual.find({schema, table}); v != with_virtual.end()) {
    return StoredRowsSum(session, name, v->second);
  }
  ASSIGN_OR_RETURN(ResultSet sum, session.Query(absl::StrCat("CHECKSUM TABLE ", name)));
  return sum.Get(0, "Checksum");
}

absl::StatusOr<v1::ChecksumReply> ComputeTableChecksums(DbSession& session) {
  v1::ChecksumReply reply;
  ASSIGN_OR_RETURN(*reply.mutable_master(), MasterCoordinates(session));
  ASSIGN_OR_RETURN(ResultSet tables,
                   session.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                                 "WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, "
                                 "TABLE_NAME"));
  // A schema replication ignores holds each node's own data: not compared.
  ASSIGN_OR_RETURN(SchemaFilter filter, ReadSchemaFilter(session));
  ASSIGN_OR_RETURN(auto with_virtual, TablesWithVirtualColumns(session));
  for (size_t i = 0; i < tables.rows.size(); ++i) {
    std::string schema = tables.GetOr(i, "TABLE_SCHEMA", "");
    std::string table = tables.GetOr(i, "TABLE_NAME", "");
    if (IsSystemSchema(schema) || !filter.Carries(schema)) continue;
    std::string name = absl::StrCat(QuoteIdentifier(schema), ".", QuoteIdentifier(table));
    v1::TableChecksum* t = reply.add_tables();
    t->set_schema(schema);
    t->set_table(table);
    ASSIGN_OR_RETURN(std::optional<std::string> value,
                     TableChecksum(session, with_virtual, schema, table));
    uint64_t checksum = 0;
    if (!value.has_value() || !absl::SimpleAtoi(*value, &checksum)) {
      t->set_checksum_null(true);
    } else {
      t->set_checksum(checksum);
    }
    ASSIGN_OR_RETURN(ResultSet count, session.Query(absl::StrCat("SELECT COUNT(*) FROM ", name)));
    uint64_t rows = 0;
    if (!count.empty() && !count.rows[0].empty() && count.rows[0][0].has_value()) {
      (void)absl::SimpleAtoi(*count.rows[0][0], &rows);
    }
    t->set_rows(rows);
  }
  return reply;
}

}  // namespace mmresync::agent
