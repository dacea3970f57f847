#include "agent/vip_check.h"

#include "absl/strings/str_cat.h"
#include "agent/node_facts.h"
#include "agent/node_markers.h"

namespace mmresync::agent {

std::vector<std::string> ReplicationProblems(const v1::ReplicaStatus& r) {
  std::vector<std::string> out;
  if (!r.configured()) return out;
  if (r.sql_running() != "Yes") {
    out.push_back(absl::StrCat(
        "replication SQL thread is ", r.sql_running().empty() ? "not running" : r.sql_running(),
        r.last_sql_errno() != 0
            ? absl::StrCat(" (error ", r.last_sql_errno(), ": ", r.last_sql_error(), ")")
            : std::string()));
  }
  // "Connecting" (the peer is down or unreachable) is not a reason; a stopped IO thread is.
  if (r.io_running() == "No" || r.io_running().empty()) {
    out.push_back(absl::StrCat("replication IO thread is not running",
                               r.last_io_errno() != 0 ? absl::StrCat(" (error ", r.last_io_errno(),
                                                                     ": ", r.last_io_error(), ")")
                                                      : std::string()));
  }
  return out;
}

VipCheck CheckVipFitness(DbSessionFactory& db, const std::string& state_dir) {
  VipCheck check;
  for (NodeMarker marker : {NodeMarker::kFenced, NodeMarker::kImportIncomplete}) {
    auto run = ReadMarker(state_dir, marker);
    if (!run.ok()) {
      check.reasons.push_back(
          absl::StrCat("cannot tell whether a run fenced this node: ", run.status().message()));
    } else if (run->has_value()) {
      check.reasons.push_back(marker == NodeMarker::kFenced
                                  ? absl::StrCat("fenced by mmresync run ", **run,
                                                 " (the run lifts the fence at its end)")
                                  : absl::StrCat("the import of mmresync run ", **run,
                                                 " did not finish: the user data may be partial"));
    }
  }
  auto session = db.Open();
  if (!session.ok()) {
    check.reasons.push_back(
        absl::StrCat("the local database does not answer: ", session.status().message()));
    return check;
  }
  auto replica = ReplicaState(**session);
  if (!replica.ok()) {
    check.reasons.push_back(absl::StrCat("SHOW SLAVE STATUS failed: ", replica.status().message()));
    return check;
  }
  check.facts = replica->configured()
                    ? absl::StrCat("database up, replication IO ", replica->io_running(), ", SQL ",
                                   replica->sql_running())
                    : "database up, no replication configured";
  // Threads a run stopped cleanly are the run's business (on the source, which keeps the
  // VIP throughout); a thread that stopped on an error is a reason whoever stopped it.
  auto stopped_by = ReadMarker(state_dir, NodeMarker::kReplicationStopped);
  if (!stopped_by.ok()) {
    check.reasons.push_back(absl::StrCat("cannot tell whether a run stopped replication here: ",
                                         stopped_by.status().message()));
  } else if (stopped_by->has_value() && replica->last_sql_errno() == 0 &&
             replica->last_io_errno() == 0) {
    absl::StrAppend(&check.facts, " (stopped by mmresync run ", **stopped_by, ")");
    return check;
  }
  for (std::string& p : ReplicationProblems(*replica)) check.reasons.push_back(std::move(p));
  return check;
}

}  // namespace mmresync::agent
