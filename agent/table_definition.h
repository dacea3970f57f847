#pragma once

// What a delta repair compares besides rows: a table's definition (SHOW CREATE TABLE)
// and the schemas, views and routines of the user schemas. Both agents read them on a
// session with SET NAMES utf8mb4, so the same definition gives the same text.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"

namespace mmresync::agent {

// SHOW CREATE TABLE `schema`.`table`, as the server writes it.
absl::StatusOr<std::string> ShowCreateTable(DbSession& session, const std::string& schema,
                                            const std::string& table);

// The text two tables are compared by: the definition without its AUTO_INCREMENT=n
// table option (the counter is not part of the rows and differs after any divergence).
std::string ComparableCreateTable(const std::string& create_table);

// "schemas=<sha256> views=<sha256> routines=<sha256>": the user schemas with their
// character sets, the views' definitions, the routines' bodies, parameters and
// characteristics (information_schema, in name order).
absl::StatusOr<std::string> DefinitionsDigest(DbSession& session,
                                              const std::vector<std::string>& schemas);

// The names of the parts of two DefinitionsDigest values that differ ("views", ...).
std::vector<std::string> DifferingDefinitions(const std::string& a, const std::string& b);

}  // namespace mmresync::agent
