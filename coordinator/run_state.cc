#include "coordinator/run_state.h"

#include "coordinator/replication_mode.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/json_text.h"

namespace mmresync::coordinator {
namespace {

std::string ConfigPart(const std::string& config_flag) {
  if (config_flag.empty()) return "";
  bool plain = config_flag.find_first_of(" \t\n'\"\\$`;&|<>()*?") == std::string::npos;
  return absl::StrCat(" --config ", plain ? config_flag : absl::StrCat("'", config_flag, "'"));
}

std::string Ago(absl::Duration d) { return absl::FormatDuration(absl::Trunc(d, absl::Seconds(1))); }

std::string KeepalivedWord(const v1::KeepalivedState& ka) {
  if (!ka.managed()) return absl::StrCat("keepalived not managed");
  return ka.running() ? "keepalived running" : "keepalived stopped";
}

std::string Holder(const v1::CoordinatorInstance& c) {
  return absl::StrCat("coordinator ", c.id(), " (", c.user().empty() ? "?" : c.user(), "@",
                      c.host(), ", pid ", c.pid(), ")");
}

}  // namespace

std::string ResumeCommand(const std::string& config_flag) {
  return absl::StrCat("mmresync recover --resume", ConfigPart(config_flag));
}

std::string AbandonCommand(const std::string& config_flag, const std::string& run_id) {
  return absl::StrCat("mmresync recover --abandon ", run_id, ConfigPart(config_flag));
}

std::string NodeStateLine(const PairView& view, int i) {
  const NodeView& n = view.nodes[i];
  if (!n.reachable()) {
    return absl::StrCat(n.entry.name, ": agent unreachable (", n.status.status().message(), ")");
  }
  const v1::NodeStatus& s = *n.status;
  std::vector<std::string> parts;
  if (!s.db_error().empty()) {
    parts.push_back(absl::StrCat("database unreadable (", s.db_error(), ")"));
  } else {
    parts.push_back(absl::StrCat("read_only=", s.read_only() ? "ON" : "OFF"));
  }
  parts.push_back(KeepalivedWord(s.keepalived()));
  if (s.vip_configured()) parts.push_back(s.vip_local() ? "holds the VIP" : "VIP not held");
  if (s.db_error().empty()) {
    const v1::ReplicaStatus& r = s.replica();
    const NodeEntry& peer = view.nodes[1 - i].entry;
    if (!r.configured()) {
      parts.push_back("no replication configured");
    } else {
      std::string from =
          r.master_host() == peer.mariadb_host && r.master_port() == peer.mariadb_port
              ? peer.name
              : absl::StrCat(r.master_host(), ":", r.master_port());
      parts.push_back(absl::StrCat("replicates from ", from, " (IO ",
                                   r.io_running().empty() ? "-" : r.io_running(), ", SQL ",
                                   r.sql_running().empty() ? "-" : r.sql_running(), ")"));
    }
  }
  parts.push_back(s.lease_holder().empty() ? std::string("no lease")
                                           : absl::StrCat("lease: run ", s.lease_holder()));
  return absl::StrCat(n.entry.name, ": ", absl::StrJoin(parts, ", "));
}

RunActivity FindRunActivity(
    const std::optional<RunRecord>& last, const PairView& view, absl::Time now,
    const std::function<bool(const v1::CoordinatorInstance&)>& holder_gone) {
  RunActivity a;
  for (const NodeView& n : view.nodes) {
    if (!n.reachable() || n.status->lease_holder().empty()) continue;
    const bool journal_knows = last.has_value() && last->run_id == n.status->lease_holder();
    if (journal_knows && holder_gone && holder_gone(n.status->lease_instance())) continue;
    a.kind = RunActivity::Kind::kRunning;
    a.run_id = n.status->lease_holder();
    a.holder = n.status->lease_instance();
    a.lease_expires_in_ms = n.status->lease_expires_in_ms();
    break;
  }
  if (a.kind == RunActivity::Kind::kRunning) {
    if (last.has_value() && last->run_id == a.run_id) {
      a.record = last;
      a.step = last->at_step();
      if (last->started != absl::InfinitePast()) a.running_for = now - last->started;
    } else if (a.holder.started_unix_ms() > 0) {
      a.running_for = now - absl::FromUnixMillis(a.holder.started_unix_ms());
    }
    return a;
  }
  if (last.has_value() && last->blocks_new_run()) {
    a.kind = RunActivity::Kind::kInterrupted;
    a.run_id = last->run_id;
    a.record = last;
    a.step = last->at_step();
    if (last->started != absl::InfinitePast()) a.running_for = now - last->started;
  }
  return a;
}

std::string RunActivityText(const RunActivity& a, const std::string& config_flag) {
  switch (a.kind) {
    case RunActivity::Kind::kNone:
      return "";
    case RunActivity::Kind::kRunning:
      return absl::StrCat("run: ", a.run_id, " IN PROGRESS",
                          a.step.empty() ? "" : absl::StrCat(" at step ", a.step), ", for ",
                          Ago(a.running_for), "; held by ", Holder(a.holder), ", lease expires in ",
                          Ago(absl::Milliseconds(a.lease_expires_in_ms)), " unless renewed\n");
    case RunActivity::Kind::kInterrupted: {
      const RunRecord& r = *a.record;
      std::string how = r.interrupted ? "interrupted by the operator"
                        : r.failed    ? "failed"
                                      : "interrupted (its coordinator stopped without a word)";
      return absl::StrCat("run: ", a.run_id, " UNFINISHED (", how,
                          a.step.empty() ? "" : absl::StrCat(" at step ", a.step), "; source ",
                          r.source, ", target ", r.target, "; started ", Ago(a.running_for),
                          " ago)\n",
                          r.failure.empty() ? "" : absl::StrCat("     cause: ", r.failure, "\n"),
                          "     resume it:  ", ResumeCommand(config_flag), "\n",
                          "     or abandon: ", AbandonCommand(config_flag, a.run_id),
                          "  (nothing is undone; the target stays fenced)\n");
    }
  }
  return "";
}

std::string RunActivityJson(const RunActivity& a, const std::string& config_flag) {
  if (a.kind == RunActivity::Kind::kNone) return "null";
  std::string out = absl::StrCat("{\"id\":", JsonQuote(a.run_id), ",\"state\":\"",
                                 a.kind == RunActivity::Kind::kRunning ? "running" : "interrupted",
                                 "\",\"step\":", JsonQuote(a.step),
                                 ",\"for_seconds\":", absl::ToInt64Seconds(a.running_for));
  if (a.record.has_value()) {
    absl::StrAppend(&out, ",\"source\":", JsonQuote(a.record->source),
                    ",\"target\":", JsonQuote(a.record->target),
                    ",\"failure\":", JsonQuote(a.record->failure));
  }
  if (a.kind == RunActivity::Kind::kRunning) {
    absl::StrAppend(&out, ",\"holder\":{\"id\":", JsonQuote(a.holder.id()),
                    ",\"host\":", JsonQuote(a.holder.host()),
                    ",\"user\":", JsonQuote(a.holder.user()), ",\"pid\":", a.holder.pid(),
                    "},\"lease_expires_in_ms\":", a.lease_expires_in_ms);
  } else {
    absl::StrAppend(&out, ",\"resume_command\":", JsonQuote(ResumeCommand(config_flag)),
                    ",\"abandon_command\":", JsonQuote(AbandonCommand(config_flag, a.run_id)));
  }
  return out + "}";
}

std::string UnfinishedRunRefusal(const RunActivity& a, const PairView& view,
                                 const std::string& config_flag) {
  std::string out = absl::StrCat(
      "mmresync: refused, nothing was changed: run ", a.run_id,
      a.kind == RunActivity::Kind::kRunning ? " is in progress" : " is unfinished",
      a.step.empty() ? "" : absl::StrCat(" at step ", a.step),
      a.record.has_value()
          ? absl::StrCat(" (source ", a.record->source, ", target ", a.record->target, ")")
          : "",
      "; a new run would start over its half-done work.\n");
  if (a.kind == RunActivity::Kind::kRunning) {
    absl::StrAppend(&out, "  held by ", Holder(a.holder), "; its lease expires in ",
                    Ago(absl::Milliseconds(a.lease_expires_in_ms)), " unless renewed.\n");
  }
  absl::StrAppend(&out, "State now:\n");
  for (int i = 0; i < 2; ++i) absl::StrAppend(&out, "  ", NodeStateLine(view, i), "\n");
  if (a.record.has_value() && a.record->original.has_value()) {
    absl::StrAppend(&out, "  before the run: ", a.record->target, " ",
                    DescribeOriginal(*a.record->original), "\n");
  }
  absl::StrAppend(&out, "Next: ",
                  a.kind == RunActivity::Kind::kRunning
                      ? "let it finish (or, once its coordinator is gone) "
                      : "",
                  "resume it with:\n  ", ResumeCommand(config_flag), "\n",
                  "or give it up (nothing is undone: the target stays fenced, and the next "
                  "run restores its settings from before this one) with:\n  ",
                  AbandonCommand(config_flag, a.run_id), "\n");
  return out;
}

v1::OriginalSettings ReadOriginalSettings(const PairView& view, int source, int target) {
  v1::OriginalSettings o;
  auto from = [&](int i) -> std::string {
    const v1::ReplicaStatus& r = view.nodes[i].status->replica();
    return r.configured() ? absl::StrCat(r.master_host(), ":", r.master_port()) : "";
  };
  if (view.nodes[target].reachable()) {
    const v1::NodeStatus& t = *view.nodes[target].status;
    o.set_target_read_only(t.read_only());
    o.set_target_keepalived_managed(t.keepalived().managed());
    // A state the agent could not read counts as running: the end of the run starts it,
    // as it always did; only a keepalived known to be stopped is left stopped.
    o.set_target_keepalived_running(t.keepalived().running() ||
                                    absl::StartsWith(t.keepalived().detail(), "status unknown"));
    o.set_target_replicates_from(from(target));
    *o.mutable_target_mode() = ModeOf(t);
  }
  if (view.nodes[source].reachable()) {
    o.set_source_read_only(view.nodes[source].status->read_only());
    o.set_source_replicates_from(from(source));
    *o.mutable_source_mode() = ModeOf(*view.nodes[source].status);
  }
  return o;
}

std::string DescribeOriginal(const v1::OriginalSettings& o) {
  return absl::StrCat("read_only=", o.target_read_only() ? "ON" : "OFF", ", keepalived ",
                      !o.target_keepalived_managed()  ? "not managed"
                      : o.target_keepalived_running() ? "running"
                                                      : "stopped");
}

}  // namespace mmresync::coordinator
