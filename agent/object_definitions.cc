#include "agent/object_definitions.h"

#include <map>
#include <regex>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

bool IsRoutineKind(const std::string& kind) {
  return kind == "PROCEDURE" || kind == "FUNCTION" || kind == "PACKAGE" || kind == "PACKAGE BODY";
}

std::string QualifiedName(const v1::ObjectDefinition& o) {
  return absl::StrCat(QuoteIdentifier(o.schema()), ".", QuoteIdentifier(o.name()));
}

using ObjectKey = std::tuple<std::string, std::string, std::string>;  // schema, name, kind

ObjectKey KeyOf(const v1::ObjectDefinition& o) { return {o.schema(), o.name(), o.kind()}; }

bool SameDefinition(const v1::ObjectDefinition& a, const v1::ObjectDefinition& b) {
  return a.create_sql() == b.create_sql() && a.sql_mode() == b.sql_mode() &&
         a.character_set_client() == b.character_set_client() &&
         a.collation_connection() == b.collation_connection();
}

absl::StatusOr<v1::ObjectDefinition> ShowCreate(DbSession& session, const std::string& kind,
                                                const std::string& schema,
                                                const std::string& name) {
  v1::ObjectDefinition o;
  o.set_kind(kind);
  o.set_schema(schema);
  o.set_name(name);
  const std::string what = absl::StrCat(absl::AsciiStrToLower(kind), " ", QualifiedName(o));
  ASSIGN_OR_RETURN(ResultSet rs,
                   session.Query(absl::StrCat("SHOW CREATE ", kind, " ", QualifiedName(o))));
  // Views: View, Create View, ...; routines: <Kind>, sql_mode, Create <Kind>, ...
  const size_t create_column = kind == "VIEW" ? 1 : 2;
  if (rs.rows.empty() || rs.rows[0].size() <= create_column ||
      !rs.rows[0][create_column].has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("SHOW CREATE of ", what,
                     " returned no definition (the agent's account needs to see its body)"));
  }
  o.set_create_sql(*rs.rows[0][create_column]);
  if (kind != "VIEW") o.set_sql_mode(rs.GetOr(0, "sql_mode", ""));
  o.set_character_set_client(rs.GetOr(0, "character_set_client", ""));
  o.set_collation_connection(rs.GetOr(0, "collation_connection", ""));
  return o;
}

// The settings are spliced into SET statements: only the shapes the server gives.
absl::Status CheckSettings(const v1::ObjectDefinition& o) {
  static const std::regex kName("[A-Za-z0-9_]+");
  static const std::regex kSqlMode("[A-Z0-9_,]*");
  if (o.kind() != "VIEW" && !IsRoutineKind(o.kind())) {
    return absl::InvalidArgumentError(absl::StrCat("invalid object kind \"", o.kind(), "\""));
  }
  if (o.schema().empty() || o.name().empty() || o.create_sql().empty() ||
      !std::regex_match(o.character_set_client(), kName) ||
      !std::regex_match(o.collation_connection(), kName) ||
      !std::regex_match(o.sql_mode(), kSqlMode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid definition of ", ObjectLabel(o),
        ": a name, body, character set, collation or sql_mode is missing or malformed"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ObjectList> ListObjectDefinitions(DbSession& session,
                                                 const std::vector<std::string>& schemas) {
  const std::string in = QuoteStringList(session, schemas);
  ASSIGN_OR_RETURN(
      ResultSet names,
      session.Query(absl::StrCat(
          "SELECT 'VIEW' AS K, TABLE_SCHEMA AS S, TABLE_NAME AS N FROM information_schema.VIEWS "
          "WHERE TABLE_SCHEMA IN (",
          in,
          ") UNION ALL SELECT ROUTINE_TYPE, ROUTINE_SCHEMA, ROUTINE_NAME FROM "
          "information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (",
          in, ") ORDER BY S, N, K")));
  ObjectList out;
  for (size_t i = 0; i < names.rows.size(); ++i) {
    const std::string kind = names.GetOr(i, "K", "");
    if (kind != "VIEW" && !IsRoutineKind(kind)) {
      return absl::InternalError(
          absl::StrCat("information_schema gave an unknown routine type \"", kind, "\""));
    }
    ASSIGN_OR_RETURN(v1::ObjectDefinition o,
                     ShowCreate(session, kind, names.GetOr(i, "S", ""), names.GetOr(i, "N", "")));
    out.push_back(std::move(o));
  }
  return out;
}

ObjectChanges DiffObjects(const ObjectList& source, const ObjectList& target) {
  std::map<ObjectKey, const v1::ObjectDefinition*> theirs;
  for (const auto& o : target) theirs[KeyOf(o)] = &o;
  ObjectChanges changes;
  for (const auto& o : source) {
    auto it = theirs.find(KeyOf(o));
    if (it != theirs.end()) {
      const v1::ObjectDefinition& mine = *it->second;
      theirs.erase(it);
      if (SameDefinition(o, mine)) continue;
      changes.drop.push_back(mine);
    }
    changes.create.push_back(o);
  }
  for (const auto& [key, o] : theirs) changes.drop.push_back(*o);
  return changes;
}

std::string ObjectLabel(const v1::ObjectDefinition& object) {
  return absl::StrCat(absl::AsciiStrToLower(object.kind()), " ", QualifiedName(object));
}

std::string DropObjectSql(const v1::ObjectDefinition& object) {
  return absl::StrCat("DROP ", object.kind(), " IF EXISTS ", QualifiedName(object));
}

absl::StatusOr<std::vector<std::string>> CreateObjectStatements(
    const v1::ObjectDefinition& object) {
  RETURN_IF_ERROR(CheckSettings(object));
  std::vector<std::string> sql = {absl::StrCat("USE ", QuoteIdentifier(object.schema()))};
  if (object.kind() != "VIEW") {
    sql.push_back(absl::StrCat("SET SESSION sql_mode = '", object.sql_mode(), "'"));
  }
  sql.push_back(absl::StrCat("SET SESSION character_set_client = ", object.character_set_client()));
  sql.push_back(absl::StrCat("SET SESSION collation_connection = ", object.collation_connection()));
  sql.push_back(object.create_sql());
  return sql;
}

absl::StatusOr<std::string> CreateObjectScript(const v1::ObjectDefinition& object) {
  ASSIGN_OR_RETURN(std::vector<std::string> sql, CreateObjectStatements(object));
  const std::string body = sql.back();
  sql.pop_back();
  // The routine's sql_mode would otherwise stay for the rest of the restore.
  return absl::StrCat("SET @mmresync_sql_mode = @@SESSION.sql_mode;\n", absl::StrJoin(sql, ";\n"),
                      ";\nDELIMITER ;;\n", body,
                      ";;\nDELIMITER ;\nSET SESSION sql_mode = @mmresync_sql_mode;\nSET NAMES "
                      "utf8mb4;\n");
}

}  // namespace mmresync::agent
