#include "coordinator/replication_steps.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/gtid_list.h"
#include "common/poll_backoff.h"
#include "common/status_macros.h"
#include "coordinator/agent_requests.h"
#include "coordinator/phase2_connect.h"
#include "coordinator/replication_error.h"
#include "coordinator/replication_mode.h"

namespace mmresync::coordinator {
namespace {

v1::BinlogCoordinates Coordinates(const std::map<std::string, std::string>& records,
                                  const std::string& prefix) {
  v1::BinlogCoordinates c;
  auto f = records.find(prefix + "_file");
  auto p = records.find(prefix + "_pos");
  if (f != records.end()) c.set_file(f->second);
  uint64_t pos = 0;
  if (p != records.end() && absl::SimpleAtoi(p->second, &pos)) c.set_position(pos);
  return c;
}

std::string Recorded(const std::map<std::string, std::string>& records, const std::string& key,
                     const std::string& fallback) {
  auto it = records.find(key);
  return it == records.end() || it->second.empty() ? fallback : it->second;
}

constexpr char kWaitRunning[] =
    "; wait for Slave_IO_Running = Slave_SQL_Running = Yes and the master's first answer "
    "(Master_Log_File set)";

}  // namespace

bool RaiseToOwnBinlog(const std::string& use_gtid, bool source_strict) {
  return IsGtid(use_gtid) && (source_strict || use_gtid == "current_pos");
}

v1::ChangeMasterRequest Phase1ChangeMaster(const std::string& run_id, const NodeEntry& source,
                                           const v1::BinlogCoordinates& snapshot,
                                           const std::string& use_gtid,
                                           const std::string& snapshot_gtid, bool raise) {
  // GTID: the snapshot's GTID position, so that the target neither re-applies nor skips a
  // transaction of the source's. Raised, in the target's own domains only, to its own
  // newest GTIDs: those it would skip anyway (its own server_id), and gtid_strict_mode
  // refuses a position behind or missing a domain of the node's own binlog (a source
  // without log_slave_updates has none of the target's domains in its snapshot).
  return ChangeMasterRequestFor(run_id, source.mariadb_host, source.mariadb_port, snapshot,
                                use_gtid, IsGtid(use_gtid) ? snapshot_gtid : "", raise);
}

v1::ChangeMasterRequest Phase2ChangeMaster(const std::string& run_id, const NodeEntry& target,
                                           const v1::BinlogCoordinates& position,
                                           const std::string& use_gtid,
                                           const std::string& target_gtid, bool raise) {
  return ChangeMasterRequestFor(run_id, target.mariadb_host, target.mariadb_port, position,
                                use_gtid, IsGtid(use_gtid) ? target_gtid : "", raise);
}

Step StopReplicationStep(const PairFacts& f) {
  const std::string& S = f.source.name;
  const std::string& T = f.target.name;
  Step step;
  step.id = "stop-replication";
  step.effect = StepEffect::kStopsReplication;
  step.title = "stop replication";
  step.node = absl::StrCat(S, ", ", T);
  step.actions = {absl::StrCat(S, ": ", RequestText(StopReplicaRequestFor("", /*reset=*/false)),
                               "   (source first: nothing done on ", T, " may replicate back)"),
                  absl::StrCat(T, ": ", RequestText(StopReplicaRequestFor("", /*reset=*/true)))};
  step.rerun_on_resume = true;
  step.run = [](RunContext& ctx) -> absl::Status {
    ASSIGN_OR_RETURN(v1::ActionReply on_source,
                     ctx.source->Send(StopReplicaRequestFor(ctx.run_id, /*reset=*/false)));
    ASSIGN_OR_RETURN(v1::ActionReply on_target,
                     ctx.target->Send(StopReplicaRequestFor(ctx.run_id, /*reset=*/true)));
    ctx.Note(absl::StrCat(ctx.source->node().name, ": ", on_source.detail(), "; ",
                          ctx.target->node().name, ": ", on_target.detail()));
    return absl::OkStatus();
  };
  step.superseded_by = {"stream-import"};
  return step;
}

Step Phase1Step(const PairFacts& f) {
  const std::string& T = f.target.name;
  v1::BinlogCoordinates placeholder;
  placeholder.set_file("<snapshot file>");
  Step step;
  step.id = "phase1";
  step.effect = StepEffect::kStartsReplica;
  step.title = "phase 1: target replicates";
  step.node = T;
  step.actions = {
      absl::StrCat(
          T, ": ",
          RequestText(Phase1ChangeMaster("", f.source, placeholder, f.target_use_gtid,
                                         RaiseToOwnBinlog(f.target_use_gtid, f.target_strict)
                                             ? absl::StrCat("<snapshot gtid, raised to ", T,
                                                            "'s own newest GTIDs>")
                                             : "<snapshot gtid>",
                                         RaiseToOwnBinlog(f.target_use_gtid, f.target_strict)),
                      f.target_repl_user, "<snapshot pos>")),
      absl::StrCat(T, ": ", RequestText(StartReplicaRequestFor("")), kWaitRunning)};
  if (IsGtid(f.target_use_gtid)) {
    step.actions.insert(
        step.actions.begin() + 1,
        absl::StrCat("(MASTER_USE_GTID=", f.target_use_gtid, ": the pair's mode before the run)"));
  }
  step.precondition = [](const RunContext& ctx) -> absl::Status {
    if (Coordinates(ctx.records, "snapshot").file().empty()) {
      return absl::FailedPreconditionError("no snapshot coordinates recorded: re-run the import");
    }
    return absl::OkStatus();
  };
  step.run = [](RunContext& ctx) -> absl::Status {
    v1::BinlogCoordinates snap = Coordinates(ctx.records, "snapshot");
    const NodeEntry& s = ctx.source->node();
    ASSIGN_OR_RETURN(v1::NodeStatus now, ctx.target->GetReplicationStatus());
    const v1::ReplicaStatus& r = now.replica();
    switch (DecidePhase1(r, s, snap)) {
      case Phase1Start::kBroken:
        return absl::FailedPreconditionError(absl::StrCat(
            ctx.target->node().name, " already applied ", s.name, "'s events up to ",
            r.master_log_file(), ":", r.exec_master_log_pos(), " (past the snapshot ", snap.file(),
            ":", snap.position(), ") and stopped on error ", r.last_sql_errno(), ": ",
            r.last_sql_error(), ". Its data no longer matches a known point of ", s.name,
            ": start a new re-seed with `mmresync recover --source ", s.name,
            " --force` (not --resume)"));
      case Phase1Start::kRestart:
        ctx.Note(absl::StrCat(ctx.target->node().name, " already replicates from ", s.name, " at ",
                              r.master_log_file(), ":", r.exec_master_log_pos(),
                              " (at or past the snapshot): starting it, not re-pointing"));
        break;
      case Phase1Start::kPoint: {
        // GTID: the snapshot's GTID position, so that the target neither re-applies
        // nor skips a transaction of the source's.
        const std::string use_gtid = Recorded(ctx.records, "target_use_gtid", "no");
        const std::string gtid = Recorded(ctx.records, "snapshot_gtid", "");
        if (IsGtid(use_gtid) && gtid.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              ctx.target->node().name, ": the pair replicated with MASTER_USE_GTID=", use_gtid,
              " but the snapshot of ", s.name,
              " carries no GTID position; not pointing the replica (it would re-apply ", s.name,
              "'s whole binlog)"));
        }
        const bool raise =
            RaiseToOwnBinlog(use_gtid, Recorded(ctx.records, "target_gtid_strict", "0") == "1");
        ASSIGN_OR_RETURN(v1::ActionReply done, ctx.target->Send(Phase1ChangeMaster(
                                                   ctx.run_id, s, snap, use_gtid, gtid, raise)));
        ctx.Note(done.detail());
        break;
      }
    }
    RETURN_IF_ERROR(ctx.target->Send(StartReplicaRequestFor(ctx.run_id)).status());
    return WaitReplicaRunning(ctx, *ctx.target, ctx.options.replica_wait);
  };
  return step;
}

Step Phase2Step(const PairFacts& f) {
  const std::string& S = f.source.name;
  const std::string& T = f.target.name;
  std::vector<std::string> lines = {
      absl::StrCat(T, ": SHOW MASTER STATUS  (after the import, which is not in its binlog)")};
  if (RaiseToOwnBinlog(f.source_use_gtid, f.source_strict)) {
    lines.push_back(absl::StrCat(
        S, ": ",
        RequestText(Phase2ChangeMaster("", f.target, {}, f.source_use_gtid,
                                       absl::StrCat("<target gtid_binlog_pos, raised to ", S,
                                                    "'s own newest GTIDs>"),
                                       /*raise=*/true),
                    f.source_repl_user)));
    lines.push_back(absl::StrCat(T, ": wait until it has binlogged that position (", S,
                                 "'s writes it replicates)"));
    if (f.source_strict) {
      lines.push_back(absl::StrCat("if ", S, " wrote nothing in a domain since the snapshot (", T,
                                   " holds that GTID in its data, not its binlog): ", T, ": ",
                                   RequestText(StopReplicaRequestFor("", /*reset=*/false)),
                                   " until ", S, "'s replica has connected, then ",
                                   RequestText(StartReplicaRequestFor(""))));
    }
  } else {
    v1::BinlogCoordinates placeholder;
    placeholder.set_file("<target file>");
    lines.push_back(
        absl::StrCat(S, ": ",
                     RequestText(Phase2ChangeMaster("", f.target, placeholder, f.source_use_gtid,
                                                    "<target gtid_binlog_pos>", /*raise=*/false),
                                 f.source_repl_user, "<target pos>")));
  }
  if (IsGtid(f.source_use_gtid)) {
    lines.push_back(
        absl::StrCat("(MASTER_USE_GTID=", f.source_use_gtid, ": the pair's mode before the run)"));
  }
  lines.push_back(absl::StrCat(S, ": ", RequestText(StartReplicaRequestFor("")), kWaitRunning));
  Step step;
  step.id = "phase2";
  step.effect = StepEffect::kRestoresReplication;
  step.title = "phase 2: source replicates";
  step.node = S;
  step.actions = lines;
  step.run = [](RunContext& ctx) -> absl::Status {
    if (!ctx.records.count("target_file")) {
      ASSIGN_OR_RETURN(v1::NodeStatus t, ctx.target->GetReplicationStatus());
      if (t.master().file().empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat(ctx.target->node().name, ": no binlog position (binary log off?)"));
      }
      ctx.records["target_file"] = t.master().file();
      ctx.records["target_pos"] = absl::StrCat(t.master().position());
      // The same point as a GTID position (@@gtid_binlog_pos, read with it).
      ctx.records["target_gtid"] = t.master().gtid();
    }
    const NodeEntry& t = ctx.target->node();
    const std::string use_gtid = Recorded(ctx.records, "source_use_gtid", "no");
    const std::string gtid = Recorded(ctx.records, "target_gtid", "");
    if (IsGtid(use_gtid) && gtid.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          ctx.source->node().name, ": the pair replicated with MASTER_USE_GTID=", use_gtid, " but ",
          t.name, " reports no gtid_binlog_pos; not pointing the replica"));
    }
    const bool strict = Recorded(ctx.records, "source_gtid_strict", "0") == "1";
    if (RaiseToOwnBinlog(use_gtid, strict)) {
      return ConnectRaisedSource(ctx, use_gtid, gtid, strict);
    }
    ASSIGN_OR_RETURN(v1::ActionReply done, ctx.source->Send(Phase2ChangeMaster(
                                               ctx.run_id, t, Coordinates(ctx.records, "target"),
                                               use_gtid, gtid, /*raise=*/false)));
    ctx.Note(done.detail());
    return StartSourceReplica(ctx, use_gtid == "current_pos");
  };
  return step;
}

absl::Status WaitReplicaRunning(RunContext& ctx, AgentApi& client, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  // The threads are usually up within tens of ms of START SLAVE.
  PollBackoff backoff(absl::Milliseconds(400), absl::Milliseconds(10));
  while (true) {
    if (ctx.interrupted != nullptr && ctx.interrupted->load()) {
      return absl::CancelledError("interrupted");
    }
    ASSIGN_OR_RETURN(v1::NodeStatus st, client.GetReplicationStatus());
    const v1::ReplicaStatus& r = st.replica();
    // Master_Log_File is set by the master's first answer to the binlog request (a
    // CHANGE MASTER by GTID empties it): until then "IO Yes" only means connected, and
    // the master may still refuse the start position.
    if (r.io_running() == "Yes" && r.sql_running() == "Yes" && !r.read_master_log_file().empty()) {
      ctx.Note(absl::StrCat(client.node().name, " replicates from ", r.master_host(), ":",
                            r.master_port(), " (IO Yes, SQL Yes) at ", r.master_log_file(), ":",
                            r.exec_master_log_pos()));
      return absl::OkStatus();
    }
    if (auto stopped = StoppedReplicationError(client.node().name, r)) return *stopped;
    last = absl::StrCat("IO ", r.io_running(),
                        r.io_running() == "Yes" && r.read_master_log_file().empty()
                            ? " (the master has not answered the binlog request yet)"
                            : "",
                        ", SQL ", r.sql_running(),
                        r.last_io_errno() ? absl::StrCat(" (IO error ", r.last_io_errno(), ": ",
                                                         r.last_io_error(), ")")
                                          : "");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(client.node().name,
                                                      ": replication not running after ",
                                                      absl::FormatDuration(timeout), ": ", last));
    }
    ctx.Note(absl::StrCat("waiting for replication threads: ", last));
    absl::SleepFor(backoff.Next(deadline - absl::Now()));
  }
}

absl::Status WaitGtidServed(RunContext& ctx, AgentApi& master, const std::string& position,
                            absl::Duration timeout) {
  ASSIGN_OR_RETURN(std::vector<Gtid> wanted, ParseGtidList(position));
  absl::Time deadline = absl::Now() + timeout;
  PollBackoff backoff(absl::Milliseconds(400), absl::Milliseconds(10));
  while (true) {
    if (ctx.interrupted != nullptr && ctx.interrupted->load()) {
      return absl::CancelledError("interrupted");
    }
    ASSIGN_OR_RETURN(v1::NodeStatus st, master.GetReplicationStatus());
    ASSIGN_OR_RETURN(std::vector<std::string> missing, GtidsNotYetServed(st, wanted));
    if (missing.empty()) {
      ctx.Note(absl::StrCat(master.node().name, " has binlogged ", position));
      return absl::OkStatus();
    }
    if (auto stopped = StoppedReplicationError(master.node().name, st.replica())) return *stopped;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          master.node().name, ": has not binlogged ", absl::StrJoin(missing, ","), " after ",
          absl::FormatDuration(timeout), " (its gtid_binlog_state is ", st.gtid_binlog_state(),
          "); the replica would ask it for GTIDs it does not have"));
    }
    absl::SleepFor(backoff.Next(deadline - absl::Now()));
  }
}

namespace {

// The node's own newest GTID per domain: the entries of its gtid_binlog_state with its own
// server_id.
absl::StatusOr<std::string> OwnNewestGtids(const v1::NodeStatus& node) {
  absl::StatusOr<std::vector<Gtid>> state = ParseGtidList(node.gtid_binlog_state());
  if (!state.ok())
    return Annotate(state.status(), absl::StrCat(node.node(), ": @@gtid_binlog_state"));
  std::vector<Gtid> own;
  for (const Gtid& g : *state) {
    if (g.server == node.server_id()) own.push_back(g);
  }
  return FormatGtidList(own);
}

}  // namespace

absl::Status StartSourceReplica(RunContext& ctx, bool current_pos) {
  for (int attempt = 1;; ++attempt) {
    RETURN_IF_ERROR(ctx.source->Send(StartReplicaRequestFor(ctx.run_id)).status());
    absl::Status running = WaitReplicaRunning(ctx, *ctx.source, ctx.options.replica_wait);
    if (running.ok() || !current_pos || attempt >= kCurrentPosConnectAttempts) return running;
    ASSIGN_OR_RETURN(v1::NodeStatus st, ctx.source->GetReplicationStatus());
    if (st.replica().last_io_errno() != 1236) return running;
    ASSIGN_OR_RETURN(std::string own, OwnNewestGtids(st));
    ctx.Note(absl::StrCat(ctx.source->node().name, " asked ", ctx.target->node().name,
                          " for GTIDs it had not replicated yet (current_pos asks for ",
                          ctx.source->node().name, "'s own newest writes); waiting for ", own,
                          " and connecting again (attempt ", attempt + 1, " of ",
                          kCurrentPosConnectAttempts, ")"));
    RETURN_IF_ERROR(WaitGtidServed(ctx, *ctx.target, own, ctx.options.replica_wait));
  }
}

namespace {

// "mysql-bin.000042" -> {"mysql-bin", 42}; nullopt when there is no numeric suffix.
std::optional<std::pair<std::string, uint64_t>> SplitBinlogName(const std::string& name) {
  size_t dot = name.rfind('.');
  uint64_t n = 0;
  if (dot == std::string::npos || !absl::SimpleAtoi(name.substr(dot + 1), &n)) return std::nullopt;
  return std::make_pair(name.substr(0, dot), n);
}

}  // namespace

Phase1Start DecidePhase1(const v1::ReplicaStatus& replica, const NodeEntry& source,
                         const v1::BinlogCoordinates& snapshot) {
  if (!replica.configured() || replica.master_host() != source.mariadb_host ||
      replica.master_port() != source.mariadb_port) {
    return Phase1Start::kPoint;
  }
  auto at = SplitBinlogName(replica.master_log_file());
  auto snap = SplitBinlogName(snapshot.file());
  if (!at || !snap || at->first != snap->first) return Phase1Start::kPoint;
  bool reached =
      at->second > snap->second ||
      (at->second == snap->second && replica.exec_master_log_pos() >= snapshot.position());
  if (!reached) return Phase1Start::kPoint;
  bool past = at->second > snap->second || replica.exec_master_log_pos() > snapshot.position();
  if (past && replica.last_sql_errno() != 0) return Phase1Start::kBroken;
  return Phase1Start::kRestart;
}

}  // namespace mmresync::coordinator
