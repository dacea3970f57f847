#include "coordinator/diagnosis.h"
#include "absl/strings/string_view.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/ip_address.h"
#include "coordinator/agent_client.h"

namespace mmresync::coordinator {
namespace {

const NodeEntry& Peer(const PairView& view, int i) { return view.nodes[1 - i].entry; }

// "D-S-N,..." -> {(D,S) -> N}
std::map<std::pair<uint64_t, uint64_t>, uint64_t> ParseGtids(absl::string_view list) {
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> out;
  for (absl::string_view entry : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::vector<std::string> parts = absl::StrSplit(absl::StripAsciiWhitespace(entry), '-');
    uint64_t d, s, n;
    if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &d) && absl::SimpleAtoi(parts[1], &s) &&
        absl::SimpleAtoi(parts[2], &n)) {
      out[{d, s}] = std::max(out[{d, s}], n);
    }
  }
  return out;
}

}  // namespace

PairView Discover(AgentClient& a, AgentClient& b, const std::string& cluster_vip) {
  PairView view;
  view.cluster_vip = cluster_vip;
  view.nodes[0].entry = a.node();
  view.nodes[1].entry = b.node();
  std::thread other([&] { view.nodes[1].status = b.GetStatus(); });
  view.nodes[0].status = a.GetStatus();
  other.join();
  return view;
}

std::vector<std::string> VipConfigProblems(const PairView& view) {
  std::vector<std::string> out;
  if (!view.nodes[0].reachable() || !view.nodes[1].reachable()) return out;
  const v1::NodeStatus& a = *view.nodes[0].status;
  const v1::NodeStatus& b = *view.nodes[1].status;
  auto agent_vip = [&](int i) {
    const v1::NodeStatus& s = *view.nodes[i].status;
    return absl::StrCat(view.nodes[i].entry.name, "'s agent.toml [keepalived] vip is ",
                        s.vip_configured() ? absl::StrCat("\"", s.vip(), "\"") : "not set");
  };
  if (a.vip_configured() != b.vip_configured() ||
      (a.vip_configured() && !SameIpAddress(a.vip(), b.vip()))) {
    out.push_back(absl::StrCat("VIP configured differently on the agents: ", agent_vip(0), ", ",
                               agent_vip(1), "; set the same address on both"));
  }
  if (!view.cluster_vip.empty()) {
    for (int i = 0; i < 2; ++i) {
      const v1::NodeStatus& s = *view.nodes[i].status;
      if (s.vip_configured() && SameIpAddress(s.vip(), view.cluster_vip)) continue;
      out.push_back(absl::StrCat("cluster.toml [cluster] vip is \"", view.cluster_vip, "\" but ",
                                 agent_vip(i)));
    }
  }
  return out;
}

std::vector<std::string> EventsRunningNowhere(const PairView& view) {
  std::vector<std::string> out;
  if (!view.nodes[0].db_ok() || !view.nodes[1].db_ok()) return out;
  const auto& a = view.nodes[0].status->replica_disabled_events();
  const auto& b = view.nodes[1].status->replica_disabled_events();
  std::set<std::string> on_b(b.begin(), b.end());
  for (const std::string& e : a) {
    if (on_b.count(e)) out.push_back(e);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string EventsRunningNowhereText(const std::vector<std::string>& events) {
  return absl::StrCat(events.size(),
                      " event(s) are DISABLE ON SLAVE on both nodes and run on "
                      "neither: ",
                      absl::StrJoin(events, ", "),
                      ". On the node that should run each: ALTER EVENT <schema>.<event> ENABLE");
}

uint64_t UserDataBytes(const v1::NodeStatus& status) {
  uint64_t total = 0;
  for (const auto& s : status.schemas()) total += s.bytes();
  return total;
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", v, units[u]);
}

bool ReplicatesFromPeer(const PairView& view, int i) {
  const NodeView& n = view.nodes[i];
  if (!n.db_ok()) return false;
  const v1::ReplicaStatus& r = n.status->replica();
  const NodeEntry& peer = Peer(view, i);
  return r.configured() && r.io_running() == "Yes" && r.sql_running() == "Yes" &&
         r.master_host() == peer.mariadb_host && r.master_port() == peer.mariadb_port;
}

Diagnosis Diagnose(const PairView& view) {
  Diagnosis d;
  for (int i = 0; i < 2; ++i) {
    const NodeView& n = view.nodes[i];
    const std::string& name = n.entry.name;
    if (!n.reachable()) {
      d.problems.push_back(
          absl::StrCat(name, ": agent unreachable: ", n.status.status().message()));
      continue;
    }
    if (!n.status->db_error().empty()) {
      d.problems.push_back(absl::StrCat(name, ": database unreadable: ", n.status->db_error()));
      continue;
    }
    const v1::ReplicaStatus& r = n.status->replica();
    const NodeEntry& peer = Peer(view, i);
    if (!r.configured()) {
      d.problems.push_back(absl::StrCat(name, ": not a replica of ", peer.name));
    } else if (r.master_host() != peer.mariadb_host || r.master_port() != peer.mariadb_port) {
      d.problems.push_back(absl::StrCat(name, ": replicates from ", r.master_host(), ":",
                                        r.master_port(), ", not from ", peer.name, " (",
                                        peer.mariadb_host, ":", peer.mariadb_port, ")"));
    } else {
      if (r.sql_running() != "Yes") {
        d.problems.push_back(absl::StrCat(
            name, ": SQL thread ", r.sql_running().empty() ? "stopped" : r.sql_running(),
            r.last_sql_errno()
                ? absl::StrCat(": error ", r.last_sql_errno(), ": ", r.last_sql_error())
                : std::string()));
      }
      if (r.io_running() != "Yes") {
        d.problems.push_back(absl::StrCat(
            name, ": IO thread ", r.io_running().empty() ? "stopped" : r.io_running(),
            r.last_io_errno() ? absl::StrCat(": error ", r.last_io_errno(), ": ", r.last_io_error())
                              : std::string()));
      }
    }
    if (!n.status->log_bin()) d.problems.push_back(absl::StrCat(name, ": binary log is off"));
  }
  for (std::string& p : VipConfigProblems(view)) d.problems.push_back(std::move(p));
  bool both_readable = view.nodes[0].db_ok() && view.nodes[1].db_ok();
  if (both_readable && view.nodes[0].status->vip_configured()) {
    bool a = view.nodes[0].status->vip_local(), b = view.nodes[1].status->vip_local();
    if (a && b) d.problems.push_back("VIP is on both nodes");
    if (!a && !b) d.problems.push_back("VIP is on neither node");
  }
  bool unreachable = !view.nodes[0].db_ok() || !view.nodes[1].db_ok();
  if (d.problems.empty()) {
    d.health = Health::kHealthy;
    d.summary = "healthy: both nodes replicate from each other";
  } else {
    d.health = unreachable ? Health::kError : Health::kDegraded;
    d.summary = absl::StrCat(
        unreachable ? "error: " : "degraded: ", d.problems.front(),
        d.problems.size() > 1 ? absl::StrCat(" (+", d.problems.size() - 1, " more)") : "");
  }
  return d;
}

absl::StatusOr<Roles> ChooseRoles(const PairView& view, const std::optional<std::string>& source) {
  Roles roles;
  if (source.has_value()) {
    if (*source == view.nodes[0].entry.name) {
      roles = {0, 1, "chosen with --source"};
    } else if (*source == view.nodes[1].entry.name) {
      roles = {1, 0, "chosen with --source"};
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--source ", *source, ": no such node (",
                                                     view.nodes[0].entry.name, ", ",
                                                     view.nodes[1].entry.name, ")"));
    }
    return roles;
  }
  for (const NodeView& n : view.nodes) {
    if (!n.reachable()) {
      // The agent's own failure first: that is what the operator has to fix.
      return absl::FailedPreconditionError(
          absl::StrCat(n.entry.name,
                       "'s agent is unreachable, so which node holds the VIP "
                       "cannot be told: ",
                       n.status.status().message()));
    }
  }
  const v1::NodeStatus& a = *view.nodes[0].status;
  const v1::NodeStatus& b = *view.nodes[1].status;
  if (std::vector<std::string> p = VipConfigProblems(view); !p.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot tell which node holds the VIP: ", absl::StrJoin(p, "; ")));
  }
  if (!a.vip_configured() || !b.vip_configured()) {
    return absl::FailedPreconditionError(
        "no VIP configured on the agents ([keepalived] vip): choose the source with --source NODE");
  }
  auto seen = [&](int i) {
    return absl::StrCat(view.nodes[i].entry.name, ": VIP ", view.nodes[i].status->vip(),
                        view.nodes[i].status->vip_local() ? " present" : " absent");
  };
  if (a.vip_local() == b.vip_local()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "VIP is on ", a.vip_local() ? "both nodes" : "neither node", " (", seen(0), "; ", seen(1),
        "): refusing to guess the master; fix keepalived or choose with --source NODE"));
  }
  roles.source = a.vip_local() ? 0 : 1;
  roles.target = 1 - roles.source;
  roles.reason = absl::StrCat("holds the VIP ", a.vip());
  return roles;
}

std::vector<std::string> ErrantTransactions(const v1::NodeStatus& source,
                                            const v1::NodeStatus& target) {
  auto target_state = ParseGtids(target.gtid_binlog_state());
  auto source_binlog = ParseGtids(source.gtid_binlog_state());
  auto source_slave = ParseGtids(source.gtid_slave_pos());
  std::vector<std::string> out;
  for (const auto& [key, seq] : target_state) {
    if (key.second != target.server_id()) continue;  // not written on the target
    uint64_t have = 0;
    if (auto it = source_binlog.find(key); it != source_binlog.end()) have = it->second;
    if (auto it = source_slave.find(key); it != source_slave.end())
      have = std::max(have, it->second);
    if (seq > have) {
      // Sequence numbers are shared by a whole domain, so only the ends are known.
      out.push_back(absl::StrCat(
          "transactions written on ", target.node(), " up to GTID ", key.first, "-", key.second,
          "-", seq, "; ", source.node(), " has applied ", target.node(), "'s writes only up to ",
          have == 0 ? std::string("none") : absl::StrCat(key.first, "-", key.second, "-", have)));
    }
  }
  return out;
}

std::vector<std::string> PreflightRefusals(const PairView& view, const Roles& roles,
                                           const PreflightOptions& options) {
  std::vector<std::string> refusals;
  for (const NodeView& n : view.nodes) {
    if (!n.reachable()) {
      refusals.push_back(
          absl::StrCat(n.entry.name, ": agent unreachable: ", n.status.status().message()));
    } else if (!n.status->db_error().empty()) {
      refusals.push_back(
          absl::StrCat(n.entry.name, ": database unreadable: ", n.status->db_error()));
    }
  }
  if (!refusals.empty()) return refusals;
  for (std::string& p : VipConfigProblems(view)) refusals.push_back(std::move(p));
  const v1::NodeStatus& s = *view.nodes[roles.source].status;
  const v1::NodeStatus& t = *view.nodes[roles.target].status;
  if (s.server_id() == t.server_id()) {
    refusals.push_back(absl::StrCat("both nodes have server_id ", s.server_id(),
                                    ": replication between them cannot work"));
  }
  for (const v1::NodeStatus* n : {&s, &t}) {
    if (!n->log_bin()) refusals.push_back(absl::StrCat(n->node(), ": binary log is off (log_bin)"));
  }
  if (s.vip_configured() && t.vip_local() && !s.vip_local()) {
    refusals.push_back(absl::StrCat("the target ", t.node(),
                                    " holds the VIP: its data would be replaced while it "
                                    "serves; move the VIP or choose the other source"));
  }
  if (s.lease_holder().size() && !options.resume) {
    refusals.push_back(absl::StrCat(s.node(), ": leased by run ", s.lease_holder()));
  }
  if (t.lease_holder().size() && !options.resume) {
    refusals.push_back(absl::StrCat(t.node(), ": leased by run ", t.lease_holder()));
  }
  uint64_t source_bytes = UserDataBytes(s), target_bytes = UserDataBytes(t);
  uint64_t need = source_bytes + source_bytes / 5;
  // A parked backup keeps the old tables in the datadir: their space is not freed.
  const uint64_t freed = options.park_backup && !options.skip_backup ? 0 : target_bytes;
  if (t.datadir_free_bytes() != 0 && t.datadir_free_bytes() + freed < need) {
    refusals.push_back(absl::StrCat(t.node(), ": datadir has ", HumanBytes(t.datadir_free_bytes()),
                                    " free, needs about ", HumanBytes(need - freed),
                                    freed == 0 ? " (the parked backup keeps the old data; "
                                                 "--backup dump writes it to state_dir instead)"
                                               : ""));
  }
  if (!options.skip_backup && !options.park_backup && !options.resume &&
      t.state_dir_free_bytes() != 0 && t.state_dir_free_bytes() < target_bytes) {
    refusals.push_back(absl::StrCat(t.node(), ": state_dir has ",
                                    HumanBytes(t.state_dir_free_bytes()),
                                    " free, the backup needs about ", HumanBytes(target_bytes)));
  }
  if (!options.resume) {
    std::vector<std::string> errant = ErrantTransactions(s, t);
    if (!errant.empty() && !(options.discard_target_writes && !options.skip_backup)) {
      refusals.push_back(absl::StrCat(
          t.node(), " holds transactions ", s.node(),
          " never received; they would be lost: ", absl::StrJoin(errant, "; "),
          ". Re-run with --discard-target-writes (the target is backed up first), or choose ",
          t.node(), " as the source"));
    }
  }
  return refusals;
}

}  // namespace mmresync::coordinator
