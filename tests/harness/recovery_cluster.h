#pragma once

// Everything `mmresync recover` works on, for integration tests, in one temporary
// directory:
//
//   <base>/node1, node2/          the MasterMasterPair's servers (server_id 1 and 2)
//   <base>/certs/                 TestCerts: CA, coordinator, db1, db2
//   <base>/agent1, agent2/        AgentProcess for db1 (node1) and db2 (node2)
//   <base>/cluster.toml           the coordinator's config (names db1/db2, 127.0.0.1)
//   <base>/coordinator/           the coordinator's state_dir (journal/)
//
// Node index i (0 or 1) is server node<i+1>, agent db<i+1>. Replication runs both ways
// when Start() returns. Teardown stops the agents, then the servers (all by PID), then
// removes the directory (MMRESYNC_KEEP_TEST_DIRS=1 keeps it).
//
// Not thread-safe; start it from the test's main thread (see AgentProcess).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/cli.h"
#include "tests/harness/mm_pair.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"

namespace mmresync::testing {

struct RecoveryClusterOptions {
  // Appended to both servers' [mysqld] groups.
  std::vector<std::string> extra_cnf_lines;
  // Agents use [keepalived] control = "command" with a stand-in for keepalived: a
  // marker file <agent dir>/keepalived.running, present at start ("running"). Else
  // control = "none".
  bool fake_keepalived = false;
  // [agent] transfer_stall_seconds for both agents; 0 keeps the agent's default.
  uint32_t transfer_stall_seconds = 0;
  // [agent] backups_keep for both agents; 0 keeps the agent's default (every backup).
  uint32_t backups_keep = 0;
  // Agents get [mariadb.service] control = "command" with the servers' service scripts
  // (MariadbInstance::WriteServiceScripts), as the physical method needs.
  bool mariadb_service = false;
  // MasterMasterOptions::use_gtid: how the pair replicates ("no", "slave_pos", ...).
  std::string use_gtid = "no";
  // [cluster] auto_delta. The suites written for the re-seed (parks, import faults,
  // stream-import gates) keep `--method auto` on it; the delta suite sets true, the
  // product's default.
  bool auto_delta = false;
};

class RecoveryCluster {
 public:
  static constexpr const char* kClusterName = "itest";

  static absl::StatusOr<std::unique_ptr<RecoveryCluster>> Start(
      const RecoveryClusterOptions& options = {});

  ~RecoveryCluster();
  RecoveryCluster(const RecoveryCluster&) = delete;
  RecoveryCluster& operator=(const RecoveryCluster&) = delete;

  MasterMasterPair& pair() { return *pair_; }
  AgentProcess& agent(int node) { return *agents_[node]; }
  // Restarts node's agent with `vip` as its [keepalived] vip ("" for none).
  absl::Status RestartAgentWithVip(int node, const std::string& vip);
  const TestCerts& certs() const { return *certs_; }
  const std::string& base_dir() const { return base_dir_; }
  // "db1" / "db2".
  static std::string node_name(int node) { return node == 0 ? "db1" : "db2"; }

  const std::string& config_path() const { return config_path_; }
  // The text of cluster.toml, for tests that write broken variants of it.
  const std::string& cluster_toml() const { return cluster_toml_; }
  std::string coordinator_state_dir() const { return base_dir_ + "/coordinator"; }
  std::string journal_path() const;
  // The run id of the journal's last record ("" when there is none), e.g. to abandon the
  // run an earlier failed case left unfinished.
  std::string LastJournalRunId() const;
  // The fake keepalived's marker file of a node (fake_keepalived only).
  std::string keepalived_marker(int node) const;
  // True when the fake keepalived of `node` is "running".
  bool keepalived_running(int node) const;

  // `mmresync --config <cluster.toml> <args...>`.
  absl::StatusOr<CliResult> Cli(const std::vector<std::string>& args,
                                absl::Duration timeout = absl::Seconds(300));

  // Sample data written on node1 and replicated: schemas shop, crm, `inventory-eu` and
  // mmr_health; INT/BIGINT/DECIMAL/DATETIME(6)/ENUM/JSON/BLOB/VARBINARY columns,
  // utf8mb4 text with emoji and CJK; a view, a trigger, a procedure, a function, an
  // event; an account 'app'@'%' with schema- and table-level grants. Waits until both
  // nodes have it.
  absl::Status LoadSampleData();

  // "The pair is healthy", checked with bounded polling: both replication threads Yes
  // on both nodes, a row written on each node afterwards is visible on the other, both
  // nodes have executed each other's binlog, and TableChecksums are equal. The error
  // says which part failed.
  absl::Status CheckHealthy(absl::Duration timeout = absl::Seconds(120));

  // The passwords the agents read from files (agent and replication accounts of both
  // nodes), for "never in logs, journal, output or argv" checks.
  std::vector<std::string> secrets() const;

 private:
  RecoveryCluster() = default;
  absl::Status WriteClusterConfig();
  absl::Status RoundTrip(absl::Duration timeout);

  RecoveryClusterOptions options_;
  // Destroyed in reverse order: agents, then the pair, then the directory.
  std::optional<TempDir> temp_dir_;
  std::string base_dir_;
  std::optional<TestCerts> certs_;
  std::unique_ptr<MasterMasterPair> pair_;
  std::unique_ptr<AgentProcess> agents_[2];
  std::string config_path_;
  std::string cluster_toml_;
  int ping_counter_ = 0;
};

}  // namespace mmresync::testing
