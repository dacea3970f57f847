#pragma once

// The destructive part of a re-seed on the target, and the clean-up after its import.
// Every statement runs with sql_log_bin=0 so none of it reaches the binlog, and so
// never the source (DESIGN.md step 5).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"

namespace mmresync::agent {

// Drops every user schema; returns their names.
absl::StatusOr<std::vector<std::string>> DropUserSchemas(DbSession& session);

// Drops every trigger and event of the user schemas (delta: before rows change, so no
// trigger fires on them; the source's are replayed afterwards). Returns how many.
absl::StatusOr<int> DropTriggersAndEvents(DbSession& session);

// Events copied by a dump arrive ENABLED; replicated ones are SLAVESIDE_DISABLED. Sets
// every enabled event to DISABLE ON SLAVE so no event fires on both nodes. Returns how
// many were changed.
absl::StatusOr<int> DisableEventsOnReplica(DbSession& session);

}  // namespace mmresync::agent
