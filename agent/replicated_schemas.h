#pragma once

// Which user schemas replication carries between the pair, from the node's own
// replication filters. A re-seed copies, drops, parks and compares only those: a schema
// the pair's replication ignores is each node's own (its local data), left as it is.
//
// Honoured exactly: replicate_do_db and replicate_ignore_db (a row event is filtered by
// its table's schema). Refused, because a re-seed by schema cannot reproduce them:
// replicate_wild_*, replicate_do/ignore_table, replicate_rewrite_db and
// binlog_do/ignore_db (these filter by table, pattern or default database). The
// coordinator's pre-flight requires both nodes to have the same filters, so each agent
// applying its own gives the same set on both.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/db_session.h"

namespace mmresync::agent {

class SchemaFilter {
 public:
  // From ReplicationFilters() entries ("name=value", values comma-separated lists).
  // FailedPrecondition naming each filter that cannot be honoured.
  static absl::StatusOr<SchemaFilter> FromFilters(const std::vector<std::string>& filters);

  // Whether replication applies the events of `schema` (do_db first, as the server does:
  // with a do list only its schemas; otherwise all but the ignored ones).
  bool Carries(absl::string_view schema) const;
  // "replicate_ignore_db=a,b" style, for messages; "none" without filters.
  std::string Describe() const;

 private:
  std::vector<std::string> do_db_;
  std::vector<std::string> ignore_db_;
};

// The node's own filters (SHOW GLOBAL VARIABLES / SHOW MASTER STATUS).
absl::StatusOr<SchemaFilter> ReadSchemaFilter(DbSession& session);

// ListUserSchemas() less those the node's replication does not carry.
absl::StatusOr<std::vector<std::string>> ListReplicatedSchemas(DbSession& session);

}  // namespace mmresync::agent
