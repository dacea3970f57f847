#pragma once

// A MariaDB master-master pair on loopback, as production runs it: node1 (index 0,
// server_id 1, auto_increment_offset 1) and node2 (index 1, server_id 2, offset 2),
// increment 2, each the replica of the other over 127.0.0.1 with the repl account and
// binlog file/position coordinates.
//
// Methods take a node *index*, 0 or 1; messages use the instance names node1/node2.
// Every helper opens a fresh root session over the socket, so session state (e.g.
// SET sql_log_bin=0) never leaks from one call into the next; use ExecAll for several
// statements in one session. Not thread-safe.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/db_session.h"
#include "tests/harness/mariadb_instance.h"
#include "tests/harness/temp_dir.h"

namespace mmresync::testing {

struct MasterMasterOptions {
  // Where node1/ and node2/ go. Empty: a TempDir owned (and removed) by the pair.
  std::string base_dir;
  // Appended to both nodes' [mysqld] groups.
  std::vector<std::string> extra_cnf_lines;
  // Seconds between a replica's reconnect attempts (CHANGE MASTER MASTER_CONNECT_RETRY).
  // Production keeps the default 60; tests restart servers and should not wait that long.
  int connect_retry_s = 2;
  // MASTER_USE_GTID of both replicas: "no" (file/position, the peer's SHOW MASTER STATUS)
  // or "slave_pos" / "current_pos" (gtid_slave_pos = the peer's @@gtid_binlog_pos).
  std::string use_gtid = "no";
  absl::Duration startup_timeout = absl::Seconds(120);
};

class MasterMasterPair {
 public:
  // Starts both servers (without replication; see ConfigureReplication).
  static absl::StatusOr<std::unique_ptr<MasterMasterPair>> Start(
      const MasterMasterOptions& options = {});

  // Stops node2, then node1, then removes the owned TempDir (if any).
  ~MasterMasterPair();
  MasterMasterPair(const MasterMasterPair&) = delete;
  MasterMasterPair& operator=(const MasterMasterPair&) = delete;

  MariadbInstance& node(int index) { return *nodes_[index]; }
  const std::string& base_dir() const { return base_dir_; }

  // On each node: CHANGE MASTER TO the peer (127.0.0.1, peer port, repl account, peer's
  // current SHOW MASTER STATUS file/position, or its @@gtid_binlog_pos with
  // options.use_gtid), START SLAVE; then waits until both nodes
  // show Slave_IO_Running=Yes and Slave_SQL_Running=Yes.
  absl::Status ConfigureReplication(absl::Duration timeout = absl::Seconds(60));

  // Waits until each node's SQL thread has executed everything in the peer's binlog up
  // to the peer's current SHOW MASTER STATUS (Relay_Master_Log_File/Exec_Master_Log_Pos
  // against the peer's File/Position). Fails at once (FAILED_PRECONDITION) when a SQL
  // thread stops with an error, naming it.
  absl::Status WaitInSync(absl::Duration timeout = absl::Seconds(60));

  // First column of the first row; NOT_FOUND when there is no row or the value is NULL.
  absl::StatusOr<std::string> QueryValue(int node, absl::string_view sql);
  // All rows of a query.
  absl::StatusOr<agent::ResultSet> Query(int node, absl::string_view sql);
  // One statement in a fresh session.
  absl::Status Exec(int node, absl::string_view sql);
  // Several statements, in order, in one session (e.g. {"SET sql_log_bin=0", "INSERT ..."}).
  absl::Status ExecAll(int node, const std::vector<std::string>& statements);

  // SHOW SLAVE STATUS as column -> value (NULL as ""); empty map if no replica is set up.
  absl::StatusOr<std::map<std::string, std::string>> SlaveStatus(int node);
  // SHOW MASTER STATUS: {File, Position}.
  absl::StatusOr<std::pair<std::string, uint64_t>> MasterStatus(int node);

  // "schema.table" -> "<CHECKSUM TABLE>/<COUNT(*)>" for every base table outside mysql,
  // information_schema, performance_schema and sys.
  absl::StatusOr<std::map<std::string, std::string>> TableChecksums(int node);

  // IO and SQL threads both running and no SQL error; false (not an error) if the node
  // has no replica configuration.
  absl::StatusOr<bool> ReplicationHealthy(int node);

 private:
  MasterMasterPair() = default;
  absl::Status CheckIndex(int node) const;

  MasterMasterOptions options_;
  std::optional<TempDir> temp_dir_;  // destroyed after the nodes (declared first)
  std::string base_dir_;
  std::unique_ptr<MariadbInstance> nodes_[2];
};

}  // namespace mmresync::testing
