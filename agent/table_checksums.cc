#include "agent/table_checksums.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/node_facts.h"
#include "agent/replicated_schemas.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::StatusOr<v1::ChecksumReply> ComputeTableChecksums(DbSession& session) {
  v1::ChecksumReply reply;
  ASSIGN_OR_RETURN(*reply.mutable_master(), MasterCoordinates(session));
  ASSIGN_OR_RETURN(ResultSet tables,
                   session.Query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                                 "WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, "
                                 "TABLE_NAME"));
  // A schema replication ignores holds each node's own data: not compared.
  ASSIGN_OR_RETURN(SchemaFilter filter, ReadSchemaFilter(session));
  for (size_t i = 0; i < tables.rows.size(); ++i) {
    std::string schema = tables.GetOr(i, "TABLE_SCHEMA", "");
    std::string table = tables.GetOr(i, "TABLE_NAME", "");
    if (IsSystemSchema(schema) || !filter.Carries(schema)) continue;
    std::string name = absl::StrCat(QuoteIdentifier(schema), ".", QuoteIdentifier(table));
    v1::TableChecksum* t = reply.add_tables();
    t->set_schema(schema);
    t->set_table(table);
    ASSIGN_OR_RETURN(ResultSet sum, session.Query(absl::StrCat("CHECKSUM TABLE ", name)));
    auto value = sum.Get(0, "Checksum");
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
