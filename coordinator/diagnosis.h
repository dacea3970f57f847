#pragma once

// Reading a pair and deciding about it: health for `status`, source/target for
// `recover`, and the pre-flight refusals (DESIGN.md step 2). Pure functions over what
// the agents reported, so every rule is unit-tested without servers.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

class AgentClient;

struct NodeView {
  NodeEntry entry;
  absl::StatusOr<v1::NodeStatus> status = absl::UnknownError("not asked");
  bool reachable() const { return status.ok(); }
  bool db_ok() const { return status.ok() && status->db_error().empty(); }
};

struct PairView {
  std::array<NodeView, 2> nodes;
  std::string cluster_vip;  // [cluster] vip of cluster.toml; may be empty
};

// Asks both agents at once.
PairView Discover(AgentClient& a, AgentClient& b, const std::string& cluster_vip);

// Disagreements about which address is the VIP: between the two agents' [keepalived]
// vip, and between them and cluster.toml's [cluster] vip. Each names the nodes, the
// files' keys and both values. With any of these, VIP-based roles and fencing checks
// would watch the wrong address, so recover refuses (exit 3) and status reports them.
std::vector<std::string> VipConfigProblems(const PairView& view);

enum class Health { kHealthy, kDegraded, kError };

struct Diagnosis {
  Health health = Health::kError;
  std::string summary;                // one line
  std::vector<std::string> problems;  // each names the node
};

// Whether node `i` replicates from its peer with both threads running.
bool ReplicatesFromPeer(const PairView& view, int i);
Diagnosis Diagnose(const PairView& view);

struct Roles {
  int source = 0;
  int target = 1;
  std::string reason;  // why this node is the source
};

// --source wins; else the VIP holder. Refusals are FailedPrecondition (exit 3); an
// unknown --source is InvalidArgument (exit 2).
absl::StatusOr<Roles> ChooseRoles(const PairView& view, const std::optional<std::string>& source);

struct PreflightOptions {
  bool skip_backup = false;
  bool discard_target_writes = false;
  bool resume = false;       // the target is already fenced and maybe partly imported by us
  bool park_backup = false;  // --backup park: the old data stays in the target's datadir
};

// Transactions the target wrote that the source never received (they would be lost),
// from MariaDB GTIDs: "domain D from server S: target at N, source at M".
std::vector<std::string> ErrantTransactions(const v1::NodeStatus& source,
                                            const v1::NodeStatus& target);

// Everything that makes recovery unsafe; empty means go.
std::vector<std::string> PreflightRefusals(const PairView& view, const Roles& roles,
                                           const PreflightOptions& options);

// Events SLAVESIDE_DISABLED on both nodes, "schema.event" sorted: they run on neither.
// A re-seed copies the source's DISABLE ON SLAVE events and disables the rest on the
// target, so an event the old target ran (disabled on the source) ends up here.
std::vector<std::string> EventsRunningNowhere(const PairView& view);
std::string EventsRunningNowhereText(const std::vector<std::string>& events);

uint64_t UserDataBytes(const v1::NodeStatus& status);
std::string HumanBytes(uint64_t bytes);

}  // namespace mmresync::coordinator
