#include "coordinator/recovery_plan.h"

#include <algorithm>
#include "absl/strings/string_view.h"

#include <openssl/rand.h>

#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/compression.h"
#include "common/random_id.h"
#include "common/status_macros.h"
#include "common/subprocess.h"
#include "coordinator/replication_error.h"
#include "coordinator/replication_mode.h"
#include "coordinator/vrrp_prediction.h"

namespace mmresync::coordinator {
namespace {

// "1.1 GiB read on the source, 412 MiB over the link (zstd auto 2.7x)".
std::string LinkSummary(const v1::ImportResult& r) {
  const std::string compression = CompressionText(r.compression(), r.bytes(), r.wire_bytes());
  return absl::StrCat(HumanBytes(r.bytes()), " streamed, ", HumanBytes(r.wire_bytes()),
                      " over the link", compression.empty() ? "" : " (", compression,
                      compression.empty() ? "" : ")");
}

absl::StatusOr<std::string> NewToken() { return RandomHex(32); }

// "method delta: 3 table(s) compared, 41 chunk(s) compared, 4 differing, 4 row(s)
// moved (3 deleted), ...".
std::string DeltaSummary(const v1::DeltaStats& d) {
  return absl::StrCat(
      "method delta: ", d.tables_compared(), " table(s) compared, ", d.chunks_compared(),
      " chunk(s) compared, ", d.chunks_differing(), " differing, ", d.rows_moved(),
      " row(s) moved (", d.rows_deleted(), " deleted), ", d.tables_copied(),
      " table(s) copied whole, ", d.tables_dropped(), " dropped, ", d.objects_replaced(),
      " view(s) and routine(s) replaced; read ", HumanBytes(d.source_bytes_read()),
      " on the source, ", HumanBytes(d.target_bytes_read()), " on the target; ",
      HumanBytes(d.bytes_moved()), " moved; backup of what changed: ", d.backup_dir());
}

absl::Status RunHook(RunContext& ctx, const std::string& which, const std::string& command) {
  ctx.Note(absl::StrCat("running ", which, " hook"));
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(ShellCommand(command), absl::Minutes(10)));
  if (r.exit_code != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(which, " hook \"", command, "\" exited ", r.exit_code, ": ", r.stderr_text));
  }
  return absl::OkStatus();
}

// Bounded polling of both agents until the VIP is where it must be.
absl::Status WaitVip(RunContext& ctx, bool want_on_source, absl::Duration timeout) {
  if (!ctx.source_status().vip_configured()) return absl::OkStatus();
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (true) {
    auto s = ctx.source->GetStatus(/*brief=*/true);
    auto t = ctx.target->GetStatus(/*brief=*/true);
    if (s.ok() && t.ok()) {
      bool ok = !t->vip_local() && (s->vip_local() || !want_on_source);
      if (ok) return absl::OkStatus();
      last = absl::StrCat(ctx.source->node().name, " VIP ", s->vip_local() ? "present" : "absent",
                          ", ", ctx.target->node().name, " VIP ",
                          t->vip_local() ? "present" : "absent");
    } else {
      last = std::string(!s.ok() ? s.status().message() : t.status().message());
    }
    if (absl::Now() >= deadline) {
      return absl::FailedPreconditionError(absl::StrCat("VIP not where it must be after ",
                                                        absl::FormatDuration(timeout), ": ", last));
    }
    ctx.Note(absl::StrCat("waiting for the VIP: ", last));
    absl::SleepFor(absl::Milliseconds(500));
  }
}

// The loud error for a VIP that went to the freshly re-seeded target.
absl::Status VipMoved(RunContext& ctx, const TakeoverPrediction& p) {
  const std::string& S = ctx.source->node().name;
  const std::string& T = ctx.target->node().name;
  // The old master gives the VIP up when it hears the new one: allow it that moment.
  auto s = ctx.source->GetStatus(/*brief=*/true);
  for (int i = 0; i < 8 && s.ok() && s->vip_local(); ++i) {
    absl::SleepFor(absl::Milliseconds(250));
    s = ctx.source->GetStatus(/*brief=*/true);
  }
  std::string on_source = !s.ok() ? absl::StrCat(", ", S, " cannot say whether it too holds it")
                          : s->vip_local() ? absl::StrCat(" AND still on ", S, " (both hold it)")
                                           : absl::StrCat(", no longer on ", S);
  return absl::FailedPreconditionError(absl::StrCat(
      "VIP MOVED: after keepalived started on ", T, " the VIP ", ctx.source_status().vip(),
      " is on ", T, " (the re-seeded node)", on_source, ". Why: ",
      p.outcome == TakeoverPrediction::Outcome::kTakes
          ? p.reason
          : absl::StrCat("not explained by the keepalived configs (", p.reason,
                         "); check keepalived's log on both nodes"),
      ". The data is safe: both nodes replicate from each other and ", T, " has all of ", S,
      "'s data, so writes now go to ", T, ". To keep ", S, " the master after a recovery, give ", T,
      " nopreempt (with state BACKUP) or a lower priority"));
}

// After keepalived started on the target: the VIP must be on the source and stay there
// for a VRRP master-down interval (3 adverts + skew, at most 1 s) and 1 s more, the time a
// preempting target needs to take it. The watch is skipped when the configs say the target never
// preempts.
absl::Status ConfirmVipStays(RunContext& ctx) {
  absl::StatusOr<v1::NodeStatus> s_now = ctx.source->GetStatus(/*brief=*/true);
  absl::StatusOr<v1::NodeStatus> t_now = ctx.target->GetStatus(/*brief=*/true);
  TakeoverPrediction p = PredictTakeover(s_now.ok() ? *s_now : ctx.source_status(),
                                         t_now.ok() ? *t_now : ctx.target_status());
  absl::Status where = WaitVip(ctx, true, ctx.options.vip_wait);
  auto target_has_vip = [&] {
    auto t = ctx.target->GetStatus(/*brief=*/true);
    return t.ok() && t->vip_local();
  };
  if (!where.ok()) {
    if (target_has_vip()) return VipMoved(ctx, p);
    return absl::FailedPreconditionError(
        absl::StrCat("the pair replicates both ways again, but after starting keepalived on ",
                     ctx.target->node().name, ": ", where.message()));
  }
  if (p.outcome == TakeoverPrediction::Outcome::kStays) {
    ctx.Note(absl::StrCat("VIP stays on ", ctx.source->node().name, ": ", p.reason));
    return absl::OkStatus();
  }
  uint32_t advert_ms = 1000;
  for (const auto* n : {&s_now, &t_now}) {
    if (n->ok()) advert_ms = std::max(advert_ms, (*n)->keepalived().instance().advert_int_ms());
  }
  absl::Duration watch = absl::Milliseconds(3 * advert_ms + 2000);
  ctx.Note(absl::StrCat("watching the VIP for ", absl::FormatDuration(watch), ": ", p.reason));
  absl::Time until = absl::Now() + watch;
  while (absl::Now() < until) {
    if (target_has_vip()) return VipMoved(ctx, p);
    absl::SleepFor(absl::Milliseconds(250));
  }
  if (target_has_vip()) return VipMoved(ctx, p);
  if (p.outcome == TakeoverPrediction::Outcome::kTakes && p.delay_s > 0) {
    std::string warning =
        absl::StrCat("the VIP is still on ", ctx.source->node().name, ", but will move to ",
                     ctx.target->node().name, " in about ", p.delay_s, " s: ", p.reason);
    ctx.Note(absl::StrCat("WARNING: ", warning));
    ctx.warnings.push_back(warning);
  }
  return absl::OkStatus();
}

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

std::string ChangeMasterText(const NodeEntry& master, const std::string& repl_user,
                             const std::string& file, const std::string& pos,
                             const std::string& use_gtid, const std::string& gtid) {
  std::string head = absl::StrCat("CHANGE MASTER TO MASTER_HOST='", master.mariadb_host,
                                  "', MASTER_PORT=", master.mariadb_port, ", MASTER_USER='",
                                  repl_user, "', MASTER_PASSWORD='***'");
  if (IsGtid(use_gtid)) {
    return absl::StrCat("SET GLOBAL gtid_slave_pos = '", gtid, "'; ", head,
                        ", MASTER_USE_GTID=", use_gtid, "  (the pair's mode before the run)");
  }
  return absl::StrCat(head, ", MASTER_LOG_FILE='", file, "', MASTER_LOG_POS=", pos,
                      ", MASTER_USE_GTID=no");
}

// Whether phase 2 raises the source's GTID position to its own newest GTIDs and waits for
// the target to serve it. gtid_strict_mode refuses a replica position behind the node's
// own binlog (ERROR 1947); current_pos asks the master for the node's own newest GTIDs
// whatever gtid_slave_pos says. Either way the target must have binlogged them before the
// source connects, or it answers 1236 (GTID not in the master's binlog).
bool RaiseToOwnBinlog(const std::string& use_gtid, bool source_strict) {
  return IsGtid(use_gtid) && (source_strict || use_gtid == "current_pos");
}

std::string Recorded(const std::map<std::string, std::string>& records, const std::string& key,
                     const std::string& fallback) {
  auto it = records.find(key);
  return it == records.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace

absl::Status WaitReplicaRunning(RunContext& ctx, AgentClient& client, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  absl::Duration poll = absl::Milliseconds(50);
  while (true) {
    if (ctx.interrupted != nullptr && ctx.interrupted->load()) {
      return absl::CancelledError("interrupted");
    }
    ASSIGN_OR_RETURN(v1::NodeStatus st, client.GetReplicationStatus());
    const v1::ReplicaStatus& r = st.replica();
    if (r.io_running() == "Yes" && r.sql_running() == "Yes") {
      ctx.Note(absl::StrCat(client.node().name, " replicates from ", r.master_host(), ":",
                            r.master_port(), " (IO Yes, SQL Yes) at ", r.master_log_file(), ":",
                            r.exec_master_log_pos()));
      return absl::OkStatus();
    }
    if (auto stopped = StoppedReplicationError(client.node().name, r)) return *stopped;
    last = absl::StrCat("IO ", r.io_running(), ", SQL ", r.sql_running(),
                        r.last_io_errno() ? absl::StrCat(" (IO error ", r.last_io_errno(), ": ",
                                                         r.last_io_error(), ")")
                                          : "");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(client.node().name,
                                                      ": replication not running after ",
                                                      absl::FormatDuration(timeout), ": ", last));
    }
    ctx.Note(absl::StrCat("waiting for replication threads: ", last));
    // The threads are usually up within a few hundred ms: poll fast first, then back off.
    absl::SleepFor(poll);
    poll = std::min(poll * 2, absl::Milliseconds(400));
  }
}

absl::Status WaitGtidServed(RunContext& ctx, AgentClient& master, const std::string& position,
                            absl::Duration timeout) {
  ASSIGN_OR_RETURN(std::vector<Gtid> wanted, ParseGtidList(position));
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration poll = absl::Milliseconds(50);
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
    absl::SleepFor(poll);
    poll = std::min(poll * 2, absl::Milliseconds(400));
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
    RETURN_IF_ERROR(ctx.source->StartReplica(ctx.run_id).status());
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

bool SkippedOnResume(const Step& step, const std::set<std::string>& done) {
  if (!done.count(step.id)) return false;
  if (!step.rerun_on_resume) return true;
  for (const std::string& later : step.superseded_by) {
    if (done.count(later)) return true;
  }
  return false;
}

std::vector<Step> BuildRecoveryPlan(const PlanInputs& in) {
  const NodeEntry& S = in.view.nodes[in.roles.source].entry;
  const NodeEntry& T = in.view.nodes[in.roles.target].entry;
  std::vector<std::string> source_schemas, target_schemas;
  uint64_t source_bytes = 0;
  if (in.view.nodes[in.roles.source].status.ok()) {
    for (const auto& s : in.view.nodes[in.roles.source].status->schemas()) {
      source_schemas.push_back(s.name());
    }
    source_bytes = UserDataBytes(*in.view.nodes[in.roles.source].status);
  }
  if (in.view.nodes[in.roles.target].status.ok()) {
    for (const auto& s : in.view.nodes[in.roles.target].status->schemas()) {
      target_schemas.push_back(s.name());
    }
  }
  auto list = [](const std::vector<std::string>& v) {
    return v.empty() ? std::string("(none)") : absl::StrJoin(v, " ");
  };
  // The mode each node is pointed at its peer with (recover takes it from the run's
  // first journal record; the same rule).
  std::string target_use_gtid = "no", source_use_gtid = "no";
  bool source_strict = false;
  if (in.view.nodes[in.roles.source].status.ok() && in.view.nodes[in.roles.target].status.ok()) {
    v1::ReplicationMode sm = ModeOf(*in.view.nodes[in.roles.source].status);
    v1::ReplicationMode tm = ModeOf(*in.view.nodes[in.roles.target].status);
    target_use_gtid = UseGtidFor(tm, sm);
    source_use_gtid = UseGtidFor(sm, tm);
    source_strict = sm.gtid_strict_mode();
  }
  bool vip = in.view.nodes[in.roles.source].status.ok() &&
             in.view.nodes[in.roles.source].status->vip_configured();
  std::vector<Step> steps;

  if (!in.config->pause_hook.empty()) {
    std::string hook = in.config->pause_hook;
    steps.push_back({"pause-hook",
                     "pause services",
                     "coordinator",
                     {absl::StrCat("/bin/sh -c '", hook, "'")},
                     false,
                     [hook](RunContext& ctx) { return RunHook(ctx, "pause", hook); }});
  }

  steps.push_back({"fence-target",
                   "fence target",
                   T.name,
                   {absl::StrCat(T.name, ": stop keepalived"),
                    vip ? absl::StrCat("check: VIP absent on ", T.name, ", present on ", S.name)
                        : std::string("(no VIP configured: no VIP check)"),
                    absl::StrCat(T.name, ": SET GLOBAL read_only = ON")},
                   true,
                   [](RunContext& ctx) -> absl::Status {
                     // The original read_only is restored at the end; keep the first value seen.
                     if (!ctx.records.count("target_read_only")) {
                       ctx.records["target_read_only"] =
                           std::string(ctx.target_status().read_only() ? "1" : "0");
                     }
                     ASSIGN_OR_RETURN(std::string stopped,
                                      ctx.target->Keepalived(ctx.run_id, false));
                     ctx.Note(stopped);
                     RETURN_IF_ERROR(WaitVip(ctx, true, ctx.options.vip_wait));
                     ASSIGN_OR_RETURN(std::string ro, ctx.target->SetReadOnly(ctx.run_id, true));
                     ctx.Note(absl::StrCat(stopped, "; ", ro));
                     return absl::OkStatus();
                   }});

  steps.push_back(
      {"stop-replication",
       "stop replication",
       absl::StrCat(S.name, ", ", T.name),
       {absl::StrCat(S.name, ": STOP SLAVE   (source first: nothing done on ", T.name,
                     " may replicate back)"),
        absl::StrCat(T.name, ": STOP SLAVE; RESET SLAVE")},
       true,
       [](RunContext& ctx) -> absl::Status {
         ASSIGN_OR_RETURN(std::string on_source, ctx.source->StopReplica(ctx.run_id, false));
         ASSIGN_OR_RETURN(std::string on_target, ctx.target->StopReplica(ctx.run_id, true));
         ctx.Note(absl::StrCat(ctx.source->node().name, ": ", on_source, "; ",
                               ctx.target->node().name, ": ", on_target));
         return absl::OkStatus();
       },
       {"stream-import"}});

  // Physical: the target's old datadir is renamed aside at the swap and is the backup;
  // the import records its path, so there is no separate backup pass.
  // Delta: the import saves what it replaces or drops (and only that) as it goes; a
  // park here would move every table aside and leave nothing to compare.
  if (!in.options.skip_backup && in.method.expected != "physical" &&
      in.method.expected != "delta") {
    const std::string mode = in.options.backup;
    std::vector<std::string> actions;
    if (mode == "dump") {
      actions.push_back(absl::StrCat(T.name,
                                     ": mariadb-dump --single-transaction --routines --events "
                                     "--triggers --hex-blob --databases ",
                                     list(target_schemas), " + SHOW CREATE USER/SHOW GRANTS > ",
                                     "<state_dir>/backups/<run>.sql"));
    } else {
      actions.push_back(
          absl::StrCat(T.name,
                       ": restore script <state_dir>/backups/<run>.sql written and fsynced first "
                       "(schema-only mariadb-dump of ",
                       list(target_schemas), ", accounts, the moves back)"));
      actions.push_back(
          absl::StrCat(T.name,
                       ": check the fence; SET sql_log_bin=0; DROP TRIGGER (in the script); one "
                       "RENAME TABLE of every user table into mmr_park_<run>_<n> (no copy)"));
    }
    steps.push_back({"backup-target", mode == "dump" ? "backup target" : "backup target (park)",
                     T.name, actions, false, [mode](RunContext& ctx) -> absl::Status {
                       StepInfo step = ctx.current;
                       ASSIGN_OR_RETURN(
                           v1::Progress last,
                           ctx.target->Backup(ctx.run_id, mode, [&](const v1::Progress& p) {
                             ctx.sink->StepProgress(step, p);
                           }));
                       ctx.records["backup_path"] = last.backup().path();
                       ctx.records["backup_mode"] = mode;
                       ctx.Note(absl::StrCat(
                           mode == "park" ? "tables parked; restore script " : "backup ",
                           last.backup().path(), " (", HumanBytes(last.backup().bytes()), ")"));
                       // Retention (agent.backups_keep): what was pruned, or why not.
                       if (!last.message().empty()) ctx.Note(last.message());
                       return absl::OkStatus();
                     }});
  }

  bool skip_backup = in.options.skip_backup;
  const MethodChoice method = in.method;
  const uint32_t workers = in.options.workers;
  const std::string compression = in.options.compression;
  // A flag that passed main's check; the text again only for the plan's words.
  const std::string compression_text =
      DescribeCompression(ParseCompression(compression).value_or(kCompressionAuto));
  std::vector<std::string> transfer_actions;
  const std::string workers_text = workers == 0
                                       ? std::string("workers from the cores of both hosts")
                                       : absl::StrCat(workers, " workers");
  transfer_actions.push_back(MethodLine(method));
  if (method.expected == "physical") {
    transfer_actions.push_back(absl::StrCat(
        T.name, ": check: [mariadb.service] control, same MariaDB major.minor as ", S.name,
        ", self-contained datadir, free disk for a second copy, its agent account identical on ",
        S.name));
    transfer_actions.push_back(absl::StrCat(
        S.name,
        ": mariadb-backup --defaults-file=<0600 file> --backup --stream=mbstream --parallel=",
        workers == 0 ? std::string("<cores>") : absl::StrCat(workers),
        " --target-dir=<state_dir>/physical-<session> --datadir=<datadir>  (~",
        HumanBytes(source_bytes),
        " of user data; its own BACKUP STAGE locks, BLOCK_COMMIT "
        "reported)"));
    transfer_actions.push_back(absl::StrCat(
        S.name, " → ", T.name,
        ": transfer session, one BACKUP_STREAM part, mutual TLS, one-time token, SHA-256, "
        "compression ",
        compression_text));
    transfer_actions.push_back(
        absl::StrCat(T.name,
                     ": mbstream -x -C <datadir>.mmresync-new-<run>  (old mariadbd keeps running, "
                     "fenced)"));
    transfer_actions.push_back(absl::StrCat(
        T.name,
        ": mariadb-backup --defaults-file=<new>/backup-my.cnf --prepare --target-dir=<new>; "
        "snapshot from xtrabackup_binlog_info; drop master.info, relay-log.info, relay logs"));
    transfer_actions.push_back(
        absl::StrCat(T.name,
                     ": re-check the fence; stop mariadbd ([mariadb.service]); mv <datadir> "
                     "<datadir>.mmresync-<run>  (the backup); mv <new> <datadir>"));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": start mariadbd (",
                     "MMRESYNC_MARIADBD_OPTIONS=--skip-slave-start "
                     "--event-scheduler=OFF --read-only=ON for command control); SET GLOBAL "
                     "read_only = ON; restore ",
                     T.name, "'s own agent and replication accounts"));
  } else if (method.expected == "delta") {
    transfer_actions.push_back(absl::StrCat(
        S.name,
        ": the logical method's snapshot session (BACKUP STAGE BLOCK_DDL, SHOW CREATE TABLE of "
        "every table of ",
        list(source_schemas),
        ", SHOW CREATE of every view and routine; BLOCK_COMMIT; START TRANSACTION WITH "
        "CONSISTENT SNAPSHOT; BACKUP STAGE END)"));
    transfer_actions.push_back(
        absl::StrCat(T.name, ": refuse unless its user schemas equal ", S.name,
                     "'s (nothing changed; use --method logical); compare its views and routines "
                     "with ",
                     S.name, "'s by definition and settings"));
    transfer_actions.push_back(absl::StrCat(
        "compare: every table of both nodes with the same definition and a primary key (or a "
        "NOT NULL unique key), ~",
        HumanBytes(source_bytes), " read on each node, in parallel: SHA-256 per chunk of ",
        "1000 key values, differing chunks bisected down to single rows; only digests cross "
        "the link"));
    transfer_actions.push_back(absl::StrCat(
        T.name,
        ": re-check the fence; save what changes (rows of differing ranges, tables dropped or "
        "re-created, views and routines replaced, triggers and events) zstd-compressed in "
        "<state_dir>/backups/<run>.delta/"));
    transfer_actions.push_back(absl::StrCat(
        T.name,
        ": drop its triggers and events, and its views and routines that differ; per table one "
        "transaction: DELETE the differing ranges, LOAD DATA LOCAL INFILE of ",
        S.name, "'s rows in them (sql_log_bin=0); tables only on ", S.name,
        ", with another definition or without a usable key: re-created and copied whole; "
        "tables only on ",
        T.name, ": dropped; then ", S.name,
        "'s routines and views that differed, triggers, events, accounts"));
  } else if (method.expected == "logical") {
    transfer_actions.push_back(absl::StrCat(
        S.name, ": BACKUP STAGE START; BACKUP STAGE BLOCK_DDL; schema-only mariadb-dump of ",
        list(source_schemas),
        "; BACKUP STAGE BLOCK_COMMIT; accounts; START TRANSACTION WITH "
        "CONSISTENT SNAPSHOT on each worker (same binlog_snapshot_file/position); "
        "BACKUP STAGE END"));
    transfer_actions.push_back(absl::StrCat(
        S.name, " → ", T.name, ": transfer session, one stream per table part (", workers_text,
        "), mutual TLS, one-time token, SHA-256 and row count per part, compression ",
        compression_text, "  (~", HumanBytes(source_bytes), ")"));
    transfer_actions.push_back(absl::StrCat(T.name, ": re-check the fence, then DROP DATABASE ",
                                            list(target_schemas), "  (sql_log_bin=0)"));
    transfer_actions.push_back(absl::StrCat(
        T.name,
        ": schema via mariadb; per table LOAD DATA LOCAL INFILE from the stream "
        "(sql_log_bin=0, unique_checks=0, foreign_key_checks=0); then triggers, events, accounts"));
    if (method.method == "auto") {
      transfer_actions.push_back(
          "if the source finds tables it cannot snapshot exactly (sequences, system-versioned): "
          "method dump instead, before anything is dropped");
    }
  } else {
    transfer_actions.push_back(
        absl::StrCat(S.name,
                     ": mariadb-dump --single-transaction (--lock-all-tables if "
                     "non-InnoDB tables) --master-data=2 --routines --events --triggers "
                     "--hex-blob --databases ",
                     list(source_schemas), "  (~", HumanBytes(source_bytes), ")"));
    transfer_actions.push_back(
        absl::StrCat(S.name, " → ", T.name,
                     ": agent-to-agent stream, mutual TLS, one-time token, SHA-256 checked"));
    transfer_actions.push_back(absl::StrCat(T.name,
                                            ": after the first bytes arrive: DROP DATABASE ",
                                            list(target_schemas), "  (sql_log_bin=0)"));
    transfer_actions.push_back(absl::StrCat(
        T.name, ": mariadb --init-command='SET sql_log_bin=0' < stream  (no --force)"));
  }
  transfer_actions.push_back(absl::StrCat(T.name, method.expected == "physical"
                                                      ? ": ALTER EVENT … DISABLE ON SLAVE"
                                                      : ": replay accounts; ALTER EVENT … "
                                                        "DISABLE ON SLAVE"));
  steps.push_back(
      {"stream-import", "snapshot+stream+import", absl::StrCat(S.name, " → ", T.name),
       transfer_actions, false,
       [source_bytes, skip_backup, method, workers, compression](RunContext& ctx) -> absl::Status {
         ASSIGN_OR_RETURN(std::string token, NewToken());
         RETURN_IF_ERROR(
             ctx.source->AuthorizeTransfer(ctx.run_id, token, ctx.target->node().name).status());
         v1::ImportRequest req;
         req.set_run_id(ctx.run_id);
         req.set_source_agent(ctx.source->node().agent);
         req.set_source_node(ctx.source->node().name);
         req.set_token(token);
         req.set_expected_bytes(source_bytes);
         req.set_backup_skipped(skip_backup);
         req.set_method(method.method);
         req.set_workers(workers);
         req.set_compression(compression);
         StepInfo step = ctx.current;
         ASSIGN_OR_RETURN(v1::Progress last, ctx.target->Import(req, [&](const v1::Progress& p) {
           ctx.sink->StepProgress(step, p);
         }));
         const v1::ImportResult& r = last.result();
         if (r.source_snapshot().file().empty()) {
           return absl::DataLossError("import finished without the snapshot's coordinates");
         }
         ctx.records["snapshot_file"] = r.source_snapshot().file();
         ctx.records["snapshot_pos"] = absl::StrCat(r.source_snapshot().position());
         ctx.records["snapshot_gtid"] = r.source_snapshot().gtid();
         ctx.records["bytes"] = absl::StrCat(r.bytes());
         ctx.records["sha256"] = r.sha256();
         ctx.records["source_lock_ms"] = absl::StrCat(r.source_lock_ms());
         ctx.records["method"] = r.method();
         if (r.method() == "physical") {
           ctx.records["backup_path"] = r.backup_path();
           ctx.Note(absl::StrCat("method physical: mariadb-backup --parallel=", r.workers(),
                                 "; commits on the source blocked ", r.source_lock_ms(),
                                 " ms (BACKUP STAGE BLOCK_COMMIT); old datadir kept as ",
                                 r.backup_path()));
         }
         if (!r.fallback_reason().empty()) {
           ctx.Note(absl::StrCat("method dump instead of logical: ", r.fallback_reason()));
         }
         if (r.method() == "logical") {
           ctx.Note(absl::StrCat("method logical: ", r.tables(), " table(s), ", r.rows(),
                                 " row(s) with ", r.workers(),
                                 " worker(s); commits on the "
                                 "source waited ",
                                 r.source_lock_ms(), " ms for the snapshot"));
         }
         if (r.method() == "delta") ctx.Note(DeltaSummary(r.delta()));
         if (r.method() != "dump") ctx.Note(LinkSummary(r));
         ctx.Note(absl::StrCat(
             HumanBytes(r.bytes()), ", ", r.schemas(), " schema(s), ",
             r.method() == "physical" ? std::string("the whole datadir (accounts included), ")
                                      : absl::StrCat(r.accounts(), " account(s), "),
             r.events_disabled(), " event(s) disabled on the replica, snapshot at ",
             r.source_snapshot().file(), ":", r.source_snapshot().position(),
             r.source_snapshot().gtid().empty()
                 ? ""
                 : absl::StrCat(" (GTID ", r.source_snapshot().gtid(), ")")));
         if (r.global_read_lock_used()) {
           ctx.Note(
               absl::StrCat("non-transactional tables: the source held a global read lock "
                            "for ",
                            r.source_lock_ms(), " ms"));
         }
         return absl::OkStatus();
       }});

  steps.push_back(
      {"phase1",
       "phase 1: target replicates",
       T.name,
       {absl::StrCat(T.name, ": ",
                     ChangeMasterText(S, in.repl_user, "<snapshot file>", "<snapshot pos>",
                                      target_use_gtid, "<snapshot gtid>")),
        absl::StrCat(T.name, ": START SLAVE; wait for Slave_IO_Running = Slave_SQL_Running = Yes")},
       false,
       [](RunContext& ctx) -> absl::Status {
         v1::BinlogCoordinates snap = Coordinates(ctx.records, "snapshot");
         if (snap.file().empty()) {
           return absl::FailedPreconditionError(
               "no snapshot coordinates recorded: re-run the import");
         }
         const NodeEntry& s = ctx.source->node();
         ASSIGN_OR_RETURN(v1::NodeStatus now, ctx.target->GetReplicationStatus());
         const v1::ReplicaStatus& r = now.replica();
         switch (DecidePhase1(r, s, snap)) {
           case Phase1Start::kBroken:
             return absl::FailedPreconditionError(absl::StrCat(
                 ctx.target->node().name, " already applied ", s.name, "'s events up to ",
                 r.master_log_file(), ":", r.exec_master_log_pos(), " (past the snapshot ",
                 snap.file(), ":", snap.position(), ") and stopped on error ", r.last_sql_errno(),
                 ": ", r.last_sql_error(), ". Its data no longer matches a known point of ", s.name,
                 ": start a new re-seed with `mmresync recover --source ", s.name,
                 " --force` (not --resume)"));
           case Phase1Start::kRestart:
             ctx.Note(absl::StrCat(ctx.target->node().name, " already replicates from ", s.name,
                                   " at ", r.master_log_file(), ":", r.exec_master_log_pos(),
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
                   " carries no GTID position; not pointing the replica (it would re-apply ",
                   s.name, "'s whole binlog)"));
             }
             ASSIGN_OR_RETURN(std::string done, ctx.target->ChangeMaster(
                                                    ctx.run_id, s.mariadb_host, s.mariadb_port,
                                                    snap, use_gtid, IsGtid(use_gtid) ? gtid : ""));
             ctx.Note(done);
             break;
           }
         }
         RETURN_IF_ERROR(ctx.target->StartReplica(ctx.run_id).status());
         return WaitReplicaRunning(ctx, *ctx.target, ctx.options.replica_wait);
       }});

  std::vector<std::string> phase2_lines = {
      absl::StrCat(T.name, ": SHOW MASTER STATUS  (after the import, which is not in its binlog)")};
  if (RaiseToOwnBinlog(source_use_gtid, source_strict)) {
    phase2_lines.push_back(absl::StrCat(
        S.name, ": ",
        ChangeMasterText(
            T, in.repl_user, "", "", source_use_gtid,
            absl::StrCat("<target gtid_binlog_pos, raised to ", S.name, "'s own newest GTIDs>"))));
    phase2_lines.push_back(absl::StrCat(T.name, ": wait until it has binlogged that position (",
                                        S.name, "'s writes it replicates)"));
  } else {
    phase2_lines.push_back(
        absl::StrCat(S.name, ": ",
                     ChangeMasterText(T, in.repl_user, "<target file>", "<target pos>",
                                      source_use_gtid, "<target gtid_binlog_pos>")));
  }
  phase2_lines.push_back(
      absl::StrCat(S.name, ": START SLAVE; wait for Slave_IO_Running = Slave_SQL_Running = Yes"));
  steps.push_back(
      {"phase2", "phase 2: source replicates", S.name, phase2_lines, false,
       [](RunContext& ctx) -> absl::Status {
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
               ctx.source->node().name, ": the pair replicated with MASTER_USE_GTID=", use_gtid,
               " but ", t.name, " reports no gtid_binlog_pos; not pointing the replica"));
         }
         if (RaiseToOwnBinlog(use_gtid, Recorded(ctx.records, "source_gtid_strict", "0") == "1")) {
           ASSIGN_OR_RETURN(v1::ActionReply set,
                            ctx.source->ChangeMasterNotBehindOwnBinlog(
                                ctx.run_id, t.mariadb_host, t.mariadb_port, use_gtid, gtid));
           ctx.Note(set.detail());
           RETURN_IF_ERROR(
               WaitGtidServed(ctx, *ctx.target, set.gtid_slave_pos(), ctx.options.replica_wait));
         } else {
           ASSIGN_OR_RETURN(std::string done,
                            ctx.source->ChangeMaster(ctx.run_id, t.mariadb_host, t.mariadb_port,
                                                     Coordinates(ctx.records, "target"), use_gtid,
                                                     IsGtid(use_gtid) ? gtid : ""));
           ctx.Note(done);
         }
         return StartSourceReplica(ctx, use_gtid == "current_pos");
       }});

  std::string vip_check = std::string("(no VIP configured: no VIP check)");
  if (vip) {
    TakeoverPrediction p = PredictTakeover(*in.view.nodes[in.roles.source].status,
                                           *in.view.nodes[in.roles.target].status);
    vip_check = absl::StrCat("check: VIP still on ", S.name,
                             p.outcome == TakeoverPrediction::Outcome::kStays
                                 ? absl::StrCat(" (", p.reason, ")")
                                 : absl::StrCat(", watched for a VRRP takeover: ", p.reason));
  }
  steps.push_back(
      {"unfence",
       "unfence target",
       T.name,
       {absl::StrCat(T.name, ": SET GLOBAL read_only = <as before>"),
        absl::StrCat(T.name, ": start keepalived (unless it was stopped before the run)"),
        vip_check},
       true,
       [](RunContext& ctx) -> absl::Status {
         const std::string& S = ctx.source->node().name;
         const std::string& T = ctx.target->node().name;
         bool was_read_only = ctx.records["target_read_only"] == "1";
         ASSIGN_OR_RETURN(std::string ro, ctx.target->SetReadOnly(ctx.run_id, was_read_only));
         ctx.Note(ro);
         if (ctx.records["target_keepalived"] == "stopped") {
           // As before the run (recorded with its start): someone had stopped it there,
           // and starting it could hand the target the VIP.
           ctx.Note(
               absl::StrCat(ro, "; keepalived left stopped on ", T, ", as it was before the run"));
           return absl::OkStatus();
         }
         absl::StatusOr<std::string> started = ctx.target->Keepalived(ctx.run_id, true);
         if (!started.ok()) {
           return absl::FailedPreconditionError(absl::StrCat(
               "the pair replicates both ways again and ", T,
               "'s read_only is restored, but keepalived on ", T,
               " did not start: ", started.status().message(), ". ", S, " keeps the VIP; ", T,
               " cannot take it over until keepalived runs "
               "there again"));
         }
         ctx.Note(*started);
         if (!ctx.source_status().vip_configured()) return absl::OkStatus();
         RETURN_IF_ERROR(ConfirmVipStays(ctx));
         ctx.Note(absl::StrCat(ro, "; ", *started, "; VIP on ", S));
         return absl::OkStatus();
       }});

  if (!in.config->resume_hook.empty()) {
    std::string hook = in.config->resume_hook;
    steps.push_back({"resume-hook",
                     "resume services",
                     "coordinator",
                     {absl::StrCat("/bin/sh -c '", hook, "'")},
                     false,
                     [hook](RunContext& ctx) { return RunHook(ctx, "resume", hook); }});
  }
  return steps;
}

}  // namespace mmresync::coordinator
