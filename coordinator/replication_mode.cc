#include "coordinator/replication_mode.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::coordinator {

v1::ReplicationMode ModeOf(const v1::NodeStatus& status) {
  v1::ReplicationMode mode;
  if (status.replica().configured()) {
    std::string using_gtid = absl::AsciiStrToLower(status.replica().using_gtid());
    // Servers without GTID (5.5-era) have no Using_Gtid column: file/position.
    mode.set_use_gtid(using_gtid.empty() ? "no" : using_gtid);
  }
  mode.set_gtid_domain_id(status.gtid_domain_id());
  mode.set_gtid_strict_mode(status.gtid_strict_mode());
  return mode;
}

bool IsGtid(const std::string& use_gtid) {
  return use_gtid == "slave_pos" || use_gtid == "current_pos";
}

std::string UseGtidFor(const v1::ReplicationMode& node, const v1::ReplicationMode& peer) {
  const std::string& own = node.use_gtid();
  if (own == "no" || IsGtid(own)) return own;
  if (IsGtid(peer.use_gtid())) return peer.use_gtid();
  return "no";
}

absl::StatusOr<std::vector<std::string>> GtidsNotYetServed(const v1::NodeStatus& node,
                                                           const std::vector<Gtid>& position) {
  absl::StatusOr<std::vector<Gtid>> binlog = ParseGtidList(node.gtid_binlog_state());
  if (!binlog.ok())
    return Annotate(binlog.status(), absl::StrCat(node.node(), ": @@gtid_binlog_state"));
  absl::StatusOr<std::vector<Gtid>> slave = ParseGtidList(node.gtid_slave_pos());
  if (!slave.ok()) return Annotate(slave.status(), absl::StrCat(node.node(), ": @@gtid_slave_pos"));
  std::vector<std::string> missing;
  for (const Gtid& want : position) {
    bool served = false;
    for (const Gtid& have : *binlog) {
      served |= have.domain == want.domain && have.server == want.server && have.seq >= want.seq;
    }
    for (const Gtid& have : *slave) served |= have == want;
    if (!served && !node.log_slave_updates() && want.domain != node.gtid_domain_id()) {
      served = std::none_of(binlog->begin(), binlog->end(),
                            [&](const Gtid& have) { return have.domain == want.domain; });
    }
    if (!served) missing.push_back(FormatGtidList({want}));
  }
  return missing;
}

std::vector<Gtid> GtidsInDataOnly(const std::vector<Gtid>& position,
                                  const std::vector<Gtid>& snapshot, uint32_t source_server_id) {
  std::vector<Gtid> out;
  for (const Gtid& g : position) {
    if (g.server != source_server_id) continue;
    const bool at_or_before_snapshot =
        std::any_of(snapshot.begin(), snapshot.end(),
                    [&](const Gtid& s) { return s.domain == g.domain && g.seq <= s.seq; });
    if (at_or_before_snapshot) out.push_back(g);
  }
  return out;
}

std::string DescribeMode(const v1::ReplicationMode& mode) {
  std::string base = mode.use_gtid().empty()   ? std::string("not replicating")
                     : IsGtid(mode.use_gtid()) ? absl::StrCat("GTID ", mode.use_gtid())
                     : mode.use_gtid() == "no" ? std::string("file/position")
                                               : absl::StrCat("Using_Gtid ", mode.use_gtid());
  return absl::StrCat(base, " (domain ", mode.gtid_domain_id(),
                      mode.gtid_strict_mode() ? ", gtid_strict_mode" : "", ")");
}

}  // namespace mmresync::coordinator
