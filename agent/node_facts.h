#pragma once

// What the discover step needs to know about one node, read from its mariadbd.

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// Schemas that belong to the server itself, and parked backups (mmr_park_*); everything
// else is user data.
bool IsSystemSchema(absl::string_view schema);

// User schemas, sorted, listed at run time (never a fixed list).
absl::StatusOr<std::vector<std::string>> ListUserSchemas(DbSession& session);

// Fills the database part of NodeStatus: server id, version, read_only, binlog
// settings, master and replica status, GTID state, schema sizes and engines.
absl::Status CollectDatabaseFacts(DbSession& session, v1::NodeStatus* status);

// Only the part of CollectDatabaseFacts that needs no table metadata: the server
// variables, replication filters, master and replica status. Cheap at any table count.
absl::Status CollectReplicationFacts(DbSession& session, v1::NodeStatus* status);

// SHOW MASTER STATUS (+ @@gtid_binlog_pos); FailedPrecondition when binlog is off.
absl::StatusOr<v1::BinlogCoordinates> MasterCoordinates(DbSession& session);

// The GTID position of binlog `file`:`position` (SELECT BINLOG_GTID_POS), validated.
absl::StatusOr<std::string> GtidAtPosition(DbSession& session, const std::string& file,
                                           uint64_t position);

// Non-empty replication filters, "name=value" sorted: the replicate_do/ignore/wild_*
// variables and SHOW MASTER STATUS's Binlog_Do_DB / Binlog_Ignore_DB.
absl::StatusOr<std::vector<std::string>> ReplicationFilters(DbSession& session);

// SHOW SLAVE STATUS as a ReplicaStatus (configured = false when there is no row).
absl::StatusOr<v1::ReplicaStatus> ReplicaState(DbSession& session);

}  // namespace mmresync::agent
