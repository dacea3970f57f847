#include "coordinator/phase2_connect.h"

#include <algorithm>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/fault_point.h"
#include "common/gtid_list.h"
#include "common/status_macros.h"
#include "coordinator/agent_requests.h"
#include "coordinator/replication_mode.h"
#include "coordinator/replication_steps.h"

namespace mmresync::coordinator {
namespace {

// The entries of `wanted` that are not exactly in `list`.
std::vector<Gtid> NotIn(const std::vector<Gtid>& wanted, const std::vector<Gtid>& list) {
  std::vector<Gtid> out;
  for (const Gtid& g : wanted) {
    if (std::find(list.begin(), list.end(), g) == list.end()) out.push_back(g);
  }
  return out;
}

// The target's replica may have been left stopped by an interrupted earlier attempt.
absl::Status EnsureTargetReplicates(RunContext& ctx) {
  ASSIGN_OR_RETURN(v1::NodeStatus t, ctx.target->GetReplicationStatus());
  if (t.replica().io_running() == "Yes" && t.replica().sql_running() == "Yes") {
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(ctx.target->Send(StartReplicaRequestFor(ctx.run_id)).status());
  return WaitReplicaRunning(ctx, *ctx.target, ctx.options.replica_wait);
}

}  // namespace

absl::Status ConnectRaisedSource(RunContext& ctx, const std::string& use_gtid,
                                 const std::string& target_gtid, bool strict) {
  const std::string& S = ctx.source->node().name;
  const std::string& T = ctx.target->node().name;
  std::vector<Gtid> snapshot;
  if (auto it = ctx.records.find("snapshot_gtid"); it != ctx.records.end()) {
    ASSIGN_OR_RETURN(snapshot, ParseGtidList(it->second));
  }
  for (int attempt = 1;; ++attempt) {
    RETURN_IF_ERROR(EnsureTargetReplicates(ctx));
    ASSIGN_OR_RETURN(v1::ActionReply set,
                     ctx.source->Send(Phase2ChangeMaster(ctx.run_id, ctx.target->node(), {},
                                                         use_gtid, target_gtid,
                                                         /*raise=*/true)));
    ctx.Note(set.detail());
    RETURN_IF_ERROR(
        WaitGtidServed(ctx, *ctx.target, set.gtid_slave_pos(), ctx.options.replica_wait));
    MMRESYNC_FAULT_POINT("phase2_raised");
    ASSIGN_OR_RETURN(std::vector<Gtid> raised, ParseGtidList(set.gtid_slave_pos()));
    ASSIGN_OR_RETURN(v1::NodeStatus source, ctx.source->GetReplicationStatus());
    const std::vector<Gtid> data_only = GtidsInDataOnly(raised, snapshot, source.server_id());
    if (!strict || data_only.empty()) return StartSourceReplica(ctx, use_gtid == "current_pos");

    RETURN_IF_ERROR(ctx.target->Send(StopReplicaRequestFor(ctx.run_id, /*reset=*/false)).status());
    // Whatever fails from here, the target does not stay without replication.
    absl::Cleanup restart_target = [&ctx] {
      (void)ctx.target->Send(StartReplicaRequestFor(ctx.run_id));
    };
    ASSIGN_OR_RETURN(v1::NodeStatus target, ctx.target->GetReplicationStatus());
    absl::StatusOr<std::vector<Gtid>> at = ParseGtidList(target.gtid_slave_pos());
    if (!at.ok()) return Annotate(at.status(), absl::StrCat(T, ": @@gtid_slave_pos"));
    const std::vector<Gtid> moved = NotIn(data_only, *at);
    if (moved.empty()) {
      MMRESYNC_FAULT_POINT("phase2_target_stopped");
      ctx.Note(absl::StrCat(S, " wrote nothing since the snapshot in the domain of ",
                            FormatGtidList(data_only), ", which ", T,
                            " holds in its data, not its binlog: ", T,
                            "'s replica stays stopped until ", S, " has connected at it"));
      RETURN_IF_ERROR(ctx.source->Send(StartReplicaRequestFor(ctx.run_id)).status());
      absl::Status connected = WaitReplicaRunning(ctx, *ctx.source, ctx.options.replica_wait);
      if (!connected.ok()) {
        // current_pos asks for the source's newest GTIDs whatever was raised: a write
        // since the raise is one the stopped target cannot serve yet (1236). Raise again.
        ASSIGN_OR_RETURN(v1::NodeStatus now, ctx.source->GetReplicationStatus());
        if (use_gtid != "current_pos" || now.replica().last_io_errno() != 1236 ||
            attempt >= kRaiseAttempts) {
          return connected;
        }
        ctx.Note(absl::StrCat(S, " asked ", T,
                              " for a GTID it wrote since its position was raised (",
                              connected.message(), "): raising it again (attempt ", attempt + 1,
                              " of ", kRaiseAttempts, ")"));
        continue;
      }
      std::move(restart_target).Cancel();
      RETURN_IF_ERROR(ctx.target->Send(StartReplicaRequestFor(ctx.run_id)).status());
      return WaitReplicaRunning(ctx, *ctx.target, ctx.options.replica_wait);
    }
    if (attempt >= kRaiseAttempts) {
      return absl::DeadlineExceededError(absl::StrCat(
          S, ": its position ", FormatGtidList(moved), " was passed by ", T, "'s replica before ",
          S, " could connect at it, ", kRaiseAttempts, " times (", T, "'s gtid_slave_pos is ",
          target.gtid_slave_pos(), "); re-run with --resume"));
    }
    ctx.Note(absl::StrCat(S, " wrote since its position was raised (", T, " is at ",
                          target.gtid_slave_pos(), "): raising it again (attempt ", attempt + 1,
                          " of ", kRaiseAttempts, ")"));
  }
}

}  // namespace mmresync::coordinator
