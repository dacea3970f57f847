#pragma once

// The destructive part of a re-seed on the target, and the clean-up after its import.
// Every statement runs with sql_log_bin=0 so none of it reaches the binlog, and so
// never the source (DESIGN.md step 5).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"

namespace mmresync::agent {

// Drops every user schema replication carries (ListReplicatedSchemas); returns their names.
absl::StatusOr<std::vector<std::string>> DropUserSchemas(DbSession& session);

// Drops every trigger and event of the user schemas replication carries (delta: before
// rows change, so no trigger fires on them; the source's are replayed afterwards).
// Returns how many.
absl::StatusOr<int> DropTriggersAndEvents(DbSession& session);

// Events copied by a dump arrive ENABLED; replicated ones are SLAVESIDE_DISABLED. Sets
// every enabled event of a replicated schema to DISABLE ON SLAVE so no event fires on
// both nodes (a schema replication ignores was not copied: its events are left alone). Returns how
// many were changed.
absl::StatusOr<int> DisableEventsOnReplica(DbSession& session);

}  // namespace mmresync::agent
