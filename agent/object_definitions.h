#pragma once

// The views and routines a delta repair compares by definition. Each is read with
// SHOW CREATE (its definer, security, body) together with the session settings it was
// created under (sql_mode for routines, character_set_client, collation_connection), on
// a session with SET NAMES utf8mb4 on both agents, so the same object gives the same
// fields. An object that differs in any field, or exists on one node only, is replaced
// on the target: the target's is dropped before the tables are repaired and the
// source's is created after them (routines first: views may call functions).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

using ObjectList = std::vector<v1::ObjectDefinition>;

// Every view and routine of `schemas`, ordered by schema, name and kind.
absl::StatusOr<ObjectList> ListObjectDefinitions(DbSession& session,
                                                 const std::vector<std::string>& schemas);

struct ObjectChanges {
  ObjectList drop;    // the target's own: differing from the source's, or only on the target
  ObjectList create;  // the source's: differing from the target's, or only on the source
  bool empty() const { return drop.empty() && create.empty(); }
};
ObjectChanges DiffObjects(const ObjectList& source, const ObjectList& target);

// "view `s`.`v`", "procedure `s`.`p`".
std::string ObjectLabel(const v1::ObjectDefinition& object);

// DROP <kind> IF EXISTS `s`.`n`.
std::string DropObjectSql(const v1::ObjectDefinition& object);

// The statements that create `object` as it was defined: USE its schema, the session
// settings it was created under, then its SHOW CREATE text. An invalid kind, sql_mode
// or character set name (they are spliced into SQL) is an error.
absl::StatusOr<std::vector<std::string>> CreateObjectStatements(const v1::ObjectDefinition& object);

// The same as a script for the `mariadb` client (DELIMITER around the body), ending
// with the script's own sql_mode and SET NAMES utf8mb4, so what follows runs as before.
absl::StatusOr<std::string> CreateObjectScript(const v1::ObjectDefinition& object);

}  // namespace mmresync::agent
