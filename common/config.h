#pragma once

// The two TOML configuration files of DESIGN.md ("Configuration (TOML)"). Loading is
// strict: an unknown key, a missing required key, or a value of the wrong type or
// range is an error that names the file, the line and the key.

#include <cstdint>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace mmresync {

struct TlsFiles {
  std::string ca;
  std::string cert;
  std::string key;
};

// ---------- coordinator: cluster.toml ----------

struct NodeEntry {
  std::string name;          // [A-Za-z0-9_.-]{1,64}, unique
  std::string agent;         // host:port of the agent's gRPC server
  std::string mariadb_host;  // what the peer puts in CHANGE MASTER TO MASTER_HOST
  uint32_t mariadb_port = 3306;
};

struct ClusterConfig {
  std::string path;  // the file it was loaded from
  std::string name;
  std::string vip;        // may be empty
  std::string state_dir;  // optional [cluster] state_dir: journals; default below
  // How long fencing and unfencing wait for the VIP to be where it must be (1..600 s).
  uint32_t vip_wait_seconds = 30;
  // How long phase 1 and 2 wait for a replica's threads to run (5..3600 s); a thread that
  // stopped with an error fails the phase at once.
  uint32_t replica_wait_seconds = 120;
  // [cluster] auto_delta: whether `--method auto` may repair in place (delta) when the
  // target holds the source's tables; false keeps auto on the logical re-seed.
  bool auto_delta = true;
  TlsFiles tls;
  std::vector<NodeEntry> nodes;  // exactly two
  std::string pause_hook;        // optional, run with /bin/sh -c on the coordinator's host
  std::string resume_hook;

  const NodeEntry* FindNode(std::string_view name) const;
};

inline constexpr char kDefaultClusterConfig[] = "/etc/mmresync/cluster.toml";
inline constexpr char kDefaultCoordinatorStateDir[] = "/var/lib/mmresync";

absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& path);
absl::StatusOr<ClusterConfig> ParseClusterConfig(std::string_view toml_text,
                                                 const std::string& path_for_errors);

// ---------- agent: agent.toml ----------

// [mariadb.service]: how the agent stops and starts its own mariadbd (the physical
// method swaps the datadir while the server is down). control = none: the agent never
// stops the server and the physical method is refused on this node.
struct MariadbServiceSettings {
  std::string control = "none";  // systemd | command | none
  std::string service = "mariadb";
  std::string start;  // command control: run with /bin/sh -c
  std::string stop;
  std::string status;  // exits 0 when running
};

struct MariadbSettings {
  std::string socket;  // either socket, or host (+ port)
  std::string host;
  uint32_t port = 3306;
  std::string user = "root";
  std::string password_file;  // may be empty: unix_socket auth
  std::string repl_user = "repl";
  std::string repl_password_file;  // required
  std::string dump_command = "mariadb-dump";
  std::string client_command = "mariadb";
  MariadbServiceSettings service;
};

struct KeepalivedSettings {
  std::string control = "none";  // systemd | command | none
  std::string service = "keepalived";
  std::string start;  // command control: run with /bin/sh -c
  std::string stop;
  std::string status;  // exits 0 when running
  std::string vip;     // may be empty
  // Read only, for reporting and for predicting VRRP preemption. Defaults (when control
  // is not "none"): Debian's /etc/keepalived/keepalived.conf and /run/keepalived.pid.
  std::string config_file;
  std::string pid_file;
};

inline constexpr char kDefaultKeepalivedConfig[] = "/etc/keepalived/keepalived.conf";
inline constexpr char kDefaultKeepalivedPidFile[] = "/run/keepalived.pid";

// [peer]: the other node of the pair, pinned. Replication on this node is only ever
// pointed at it (DESIGN.md, "Contract additions"), whoever asks.
struct PeerSettings {
  std::string name;          // the peer agent's node name (its certificate's URI SAN)
  std::string mariadb_host;  // what CHANGE MASTER on this node may point at
  uint32_t mariadb_port = 3306;
  std::string agent;  // host:port of the peer agent, for transfers
};

struct AgentConfig {
  std::string path;
  std::string name;
  std::string listen;  // host:port
  std::string state_dir;
  // A transfer whose peer reads nothing (or fetches no part) for this long is ended on
  // the source: its snapshot is released, so a stalled target never holds the source.
  uint32_t transfer_stall_seconds = 30;
  // How often the agent re-reads its [tls] files: a renewed certificate (and key, and CA)
  // is served to new connections without a restart.
  uint32_t tls_reload_seconds = 60;
  // Retention: after a run's new backup of this node, older backups beyond this many
  // (the new one counted) are pruned as `mmresync backups prune --keep N` would. 0 keeps
  // every backup.
  uint32_t backups_keep = 0;
  TlsFiles tls;
  MariadbSettings mariadb;
  KeepalivedSettings keepalived;
  PeerSettings peer;  // required
};

inline constexpr char kDefaultAgentConfig[] = "/etc/mmresync/agent.toml";

absl::StatusOr<AgentConfig> LoadAgentConfig(const std::string& path);
absl::StatusOr<AgentConfig> ParseAgentConfig(std::string_view toml_text,
                                             const std::string& path_for_errors);

// Reads a secret from a file: the first line, without its trailing newline. Errors name
// the file but never include its content.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// $MMRESYNC_CONFIG if set, else `fallback`.
std::string ConfigPathFromEnv(const std::string& flag_value, const char* fallback);

}  // namespace mmresync
