#include "agent/schema_reset.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/node_facts.h"
#include "agent/replicated_schemas.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "common/reseed_sql.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::StatusOr<std::vector<std::string>> DropUserSchemas(DbSession& session) {
  RETURN_IF_ERROR(session.Execute(kBinlogOffStatement));
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListReplicatedSchemas(session));
  const absl::Time start = absl::Now();
  for (const auto& schema : schemas) {
    RETURN_IF_ERROR(Annotate(session.Execute(DropSchemaStatement(schema)),
                             absl::StrCat("drop schema ", schema)));
  }
  // What a re-seed without a backup pays for the old data (a parked backup moves it
  // instead): in the log, to tell it from the import's own time.
  log::Info("dropped ", schemas.size(), " user schema(s) in ",
            absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(1))));
  MMRESYNC_FAULT_POINT("after_drop");
  return schemas;
}

absl::StatusOr<int> DropTriggersAndEvents(DbSession& session) {
  RETURN_IF_ERROR(session.Execute(kBinlogOffStatement));
  ASSIGN_OR_RETURN(ResultSet objects,
                   session.Query("SELECT 'TRIGGER' AS KIND, TRIGGER_SCHEMA AS S, TRIGGER_NAME AS N "
                                 "FROM information_schema.TRIGGERS UNION ALL SELECT 'EVENT', "
                                 "EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS"));
  ASSIGN_OR_RETURN(SchemaFilter filter, ReadSchemaFilter(session));
  int dropped = 0;
  for (size_t i = 0; i < objects.rows.size(); ++i) {
    const std::string schema = objects.GetOr(i, "S", "");
    // A schema replication ignores is this node's own: its triggers and events stay.
    if (IsSystemSchema(schema) || !filter.Carries(schema)) continue;
    const std::string name = objects.GetOr(i, "N", "");
    RETURN_IF_ERROR(session.Execute(objects.GetOr(i, "KIND", "") == "EVENT"
                                        ? DropEventStatement(schema, name)
                                        : DropTriggerStatement(schema, name)));
    ++dropped;
  }
  return dropped;
}

absl::StatusOr<int> DisableEventsOnReplica(DbSession& session) {
  RETURN_IF_ERROR(session.Execute("SET SESSION sql_log_bin = 0"));
  ASSIGN_OR_RETURN(
      ResultSet events,
      session.Query("SELECT EVENT_SCHEMA, EVENT_NAME, DEFINER FROM information_schema.EVENTS "
                    "WHERE STATUS = 'ENABLED'"));
  ASSIGN_OR_RETURN(SchemaFilter filter, ReadSchemaFilter(session));
  int changed = 0;
  for (size_t i = 0; i < events.rows.size(); ++i) {
    std::string schema = events.GetOr(i, "EVENT_SCHEMA", "");
    std::string name = events.GetOr(i, "EVENT_NAME", "");
    // A schema replication ignores was not copied: its events are the node's own.
    if (IsSystemSchema(schema) || !filter.Carries(schema)) continue;
    // ALTER EVENT makes the current user the definer unless one is given: keep it.
    std::string definer = events.GetOr(i, "DEFINER", "");
    size_t at = definer.rfind('@');
    std::string definer_clause;
    if (at != std::string::npos) {
      definer_clause = absl::StrCat("DEFINER=", QuoteString(session, definer.substr(0, at)), "@",
                                    QuoteString(session, definer.substr(at + 1)), " ");
    }
    RETURN_IF_ERROR(
        session.Execute(absl::StrCat("ALTER ", definer_clause, "EVENT ", QuoteIdentifier(schema),
                                     ".", QuoteIdentifier(name), " DISABLE ON SLAVE")));
    ++changed;
  }
  return changed;
}

}  // namespace mmresync::agent
