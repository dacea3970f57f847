#include "agent/table_statistics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::Status RefreshTableStatistics(DbSession& session, const std::string& schema,
                                    const std::string& table) {
  const std::string name = absl::StrCat(QuoteIdentifier(schema), ".", QuoteIdentifier(table));
  ASSIGN_OR_RETURN(ResultSet engine,
                   session.Query(absl::StrCat("SELECT ENGINE FROM information_schema.TABLES "
                                              "WHERE TABLE_SCHEMA = '",
                                              session.EscapeString(schema), "' AND TABLE_NAME = '",
                                              session.EscapeString(table), "'")));
  if (engine.empty()) {
    return absl::NotFoundError(absl::StrCat("refreshing the statistics of ", name,
                                            ": the table is not there after its load"));
  }
  if (absl::AsciiStrToLower(engine.GetOr(0, "ENGINE", "")) != "innodb") return absl::OkStatus();
  // ANALYZE reports a failure as a result row, not as a statement error.
  ASSIGN_OR_RETURN(ResultSet result,
                   session.Query(absl::StrCat("ANALYZE NO_WRITE_TO_BINLOG TABLE ", name)));
  for (size_t i = 0; i < result.rows.size(); ++i) {
    if (absl::AsciiStrToLower(result.GetOr(i, "Msg_type", "")) == "error") {
      return absl::InternalError(absl::StrCat("refreshing the statistics of ", name, ": ",
                                              result.GetOr(i, "Msg_text", "(no message)")));
    }
  }
  return absl::OkStatus();
}

void RefreshStatisticsOrWarn(DbSession& session, const std::string& schema,
                             const std::string& table) {
  if (absl::Status s = RefreshTableStatistics(session, schema, table); !s.ok()) {
    log::Warning(s.message(),
                 "; `mmresync status` shows its size as before the load until "
                 "InnoDB recalculates it");
  }
}

}  // namespace mmresync::agent
