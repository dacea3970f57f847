#include "coordinator/backups_command.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/escape.h"
#include "coordinator/cluster_session.h"
#include "coordinator/coordinator_instance.h"
#include "coordinator/diagnosis.h"
#include "coordinator/exit_codes.h"
#include "coordinator/journal.h"
#include "coordinator/json_text.h"
#include "coordinator/run_inheritance.h"
#include "coordinator/run_state.h"

namespace mmresync::coordinator {
namespace {

constexpr int kLeaseTtlSeconds = 600;

void Err(const std::string& text) { PrintTerminal(stderr, "%s\n", text.c_str()); }

std::string NewBackupsRunId(const char* what) {
  unsigned char bytes[3];
  RAND_bytes(bytes, sizeof bytes);
  return absl::StrCat(what, "-",
                      absl::FormatTime("%Y%m%dT%H%M%S", absl::Now(), absl::UTCTimeZone()), "-",
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(bytes), 3)));
}

// The clients --node selects (both when empty), or an error naming the nodes.
absl::StatusOr<std::vector<AgentClient*>> Selected(ClusterSession& session,
                                                   const std::string& node) {
  std::vector<AgentClient*> all{session.a.get(), session.b.get()};
  if (node.empty()) return all;
  for (AgentClient* c : all) {
    if (c->node().name == node) return std::vector<AgentClient*>{c};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--node ", node, ": no such node (", all[0]->node().name, ", ", all[1]->node().name, ")"));
}

// The pair's lease, on both agents, for the life of this object.
class PairLease {
 public:
  PairLease(ClusterSession& session, std::string run_id)
      : session_(session), run_id_(std::move(run_id)) {}
  ~PairLease() {
    for (AgentClient* c : held_) (void)c->ReleaseLease(run_id_);
  }
  absl::Status Acquire(const std::string& holder) {
    for (AgentClient* c : {session_.a.get(), session_.b.get()}) {
      auto lease = c->AcquireLease(run_id_, holder, kLeaseTtlSeconds);
      if (!lease.ok()) return lease.status();
      held_.push_back(c);
    }
    return absl::OkStatus();
  }
  const std::string& run_id() const { return run_id_; }

 private:
  ClusterSession& session_;
  std::string run_id_;
  std::vector<AgentClient*> held_;
};

// The cluster, its agents' identities checked, and the clients --node selects; on an
// error `*exit` is the code to return.
struct Opened {
  ClusterSession session;
  std::vector<AgentClient*> nodes;
};
absl::StatusOr<Opened> Open(const BackupsFlags& flags, int* exit) {
  auto session = OpenCluster(flags.config);
  if (!session.ok()) {
    *exit = kExitUsage;
    return session.status();
  }
  if (absl::Status s = VerifyAgentIdentities(*session); !s.ok()) {
    *exit = kExitRefused;
    return s;
  }
  auto nodes = Selected(*session, flags.node);
  if (!nodes.ok()) {
    *exit = kExitUsage;
    return nodes.status();
  }
  return Opened{std::move(*session), std::move(*nodes)};
}

// `backups restore` as a journaled run: the node stays fenced when it ends, and the
// journal says so (run-left-fenced) with the node's settings from before, so the next
// `recover` of that node lifts the fence at its end, as after an abandoned run.
class RestoreJournal {
 public:
  RestoreJournal(ClusterSession& session, AgentClient& node, const std::string& run_id,
                 const std::optional<RunRecord>& last)
      : session_(session),
        node_(node),
        journal_(Journal::PathFor(session.config.state_dir, session.config.name),
                 session.config.name, run_id),
        last_(last) {}

  // Reads the settings the fence changes and journals the run's start; an error means
  // nothing was changed and nothing may be.
  absl::Status Start(const std::string& backup_run) {
    PairView view = Discover(*session_.a, *session_.b, session_.config.vip);
    const int t = session_.a.get() == &node_ ? 0 : 1;
    for (const NodeView& n : view.nodes) {
      if (!n.reachable()) return n.status.status();
      if (!n.status->db_error().empty()) {
        return absl::UnavailableError(absl::StrCat(n.entry.name, ": ", n.status->db_error()));
      }
    }
    source_ = view.nodes[1 - t].entry.name;
    // Fenced already by an abandoned run or an earlier restore: its settings from before.
    Inheritance inherited = InheritFromLastRun(last_, node_.node().name);
    original_ =
        inherited.original.has_value() ? *inherited.original : ReadOriginalSettings(view, 1 - t, t);
    v1::JournalEntry start;
    start.set_event("run-start");
    start.set_source(source_);
    start.set_target(node_.node().name);
    start.set_detail(absl::StrCat("backups restore ", backup_run));
    *start.mutable_original() = original_;
    start.add_plan("fence-target");
    start.add_plan("restore");
    *start.mutable_coordinator() = ThisInstance();
    return journal_.Append(start);
  }
  // The Step*/Failed/LeftFenced records return "" when written, else a sentence saying
  // the journal could not be written (the node is fenced whatever it says).
  std::string StepDone(const std::string& step, const std::string& detail) {
    return Write("step-done", step, detail);
  }
  std::string Failed(const std::string& step, const absl::Status& why) {
    return absl::StrCat(Write("step-failed", step, std::string(why.message())),
                        Write("run-left-fenced", step, std::string(why.message())));
  }
  std::string LeftFenced() { return Write("run-left-fenced", "", "restored; left fenced"); }
  const std::string& source() const { return source_; }
  const v1::OriginalSettings& original() const { return original_; }

 private:
  std::string Write(const std::string& event, const std::string& step, const std::string& detail) {
    v1::JournalEntry e;
    e.set_event(event);
    e.set_step(step);
    e.set_node(node_.node().name);
    e.set_detail(detail);
    absl::Status s = journal_.Append(e);
    return s.ok() ? std::string() : absl::StrCat("\nWARNING: ", s.message());
  }

  ClusterSession& session_;
  AgentClient& node_;
  Journal journal_;
  std::optional<RunRecord> last_;
  std::string source_;
  v1::OriginalSettings original_;
};

// Why `backups restore` does not put `b` back, in the operator's words; empty when it does.
std::string NotRestorableReason(const v1::BackupInfo& b, const std::string& node) {
  if (b.restorable()) return "";
  const std::string what = absl::StrCat("run ", b.run_id(), "'s backup on ", node);
  if (b.kind() == "physical") {
    return absl::StrCat(what, " is the old datadir ", b.path(),
                        " of a physical re-seed, which mmresync does not restore: with mariadbd "
                        "stopped on ",
                        node, ", put it in place of the datadir by hand");
  }
  if (b.kind() == "park") {
    return absl::StrCat(what, " has no parked schema left (restored already, or dropped)");
  }
  return absl::StrCat(what, " (kind ", b.kind(), ") cannot be restored");
}

// The short form for `backups list`.
std::string NotRestorableNote(const v1::BackupInfo& b) {
  if (b.restorable()) return "";
  if (b.kind() == "physical") return "  (not restorable through mmresync: old datadir)";
  return "  (not restorable through mmresync)";
}

std::string Created(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

}  // namespace

int RunBackupsList(const BackupsFlags& flags) {
  int exit = kExitOk;
  auto opened = Open(flags, &exit);
  if (!opened.ok()) {
    Err(absl::StrCat("mmresync: ", opened.status().message()));
    return exit;
  }
  const std::vector<AgentClient*>& nodes = opened->nodes;
  std::vector<std::string> json_nodes;
  for (AgentClient* c : nodes) {
    auto list = c->ListBackups();
    if (!list.ok()) {
      exit = kExitFailed;
      if (flags.json) {
        json_nodes.push_back(absl::StrCat("{\"node\":", JsonQuote(c->node().name),
                                          ",\"error\":", JsonQuote(list.status().message()), "}"));
      } else {
        PrintTerminal(stdout, "%s: %s\n", c->node().name, std::string(list.status().message()));
      }
      continue;
    }
    if (flags.json) {
      std::vector<std::string> items;
      for (const v1::BackupInfo& b : list->backups()) {
        std::vector<std::string> parked;
        for (const std::string& s : b.parked_schemas()) parked.push_back(JsonQuote(s));
        items.push_back(absl::StrCat("{\"run\":", JsonQuote(b.run_id()),
                                     ",\"kind\":", JsonQuote(b.kind()), ",\"bytes\":", b.bytes(),
                                     ",\"created_unix_ms\":", b.created_unix_ms(),
                                     ",\"restorable\":", b.restorable() ? "true" : "false",
                                     ",\"path\":", JsonQuote(b.path()), ",\"parked_schemas\":[",
                                     absl::StrJoin(parked, ","), "]}"));
      }
      json_nodes.push_back(absl::StrCat("{\"node\":", JsonQuote(c->node().name), ",\"backups\":[",
                                        absl::StrJoin(items, ","), "]}"));
      continue;
    }
    PrintTerminal(stdout, "%s: %d backup(s)\n", c->node().name, list->backups_size());
    for (const v1::BackupInfo& b : list->backups()) {
      PrintTerminal(stdout, "  %-30s %-8s %s  %s%s%s\n", b.run_id(), b.kind(),
                    Created(b.created_unix_ms()), HumanBytes(b.bytes()),
                    b.parked_schemas_size() > 0
                        ? absl::StrCat(", ", b.parked_schemas_size(), " parked schema(s)")
                        : std::string(),
                    NotRestorableNote(b));
    }
  }
  if (flags.json) {
    WriteTerminal(stdout, absl::StrCat("{\"schema_version\":", kJsonSchemaVersion, ",\"nodes\":[",
                                       absl::StrJoin(json_nodes, ","), "]}\n"));
  }
  return exit;
}

int RunBackupsRestore(const BackupsFlags& flags) {
  if (flags.node.empty()) {
    Err("mmresync backups restore: --node NODE is required (the standby to restore on)");
    return kExitUsage;
  }
  int exit = kExitOk;
  auto opened = Open(flags, &exit);
  if (!opened.ok()) {
    Err(absl::StrCat("mmresync: ", opened.status().message()));
    return exit;
  }
  ClusterSession& session = opened->session;
  const std::vector<AgentClient*>& nodes = opened->nodes;
  AgentClient* node = nodes.front();
  const std::string& N = node->node().name;
  // Early and in plain words; the agent refuses on its own as well.
  auto status = node->GetStatus(/*brief=*/true);
  if (!status.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", status.status().message()));
    return kExitRefused;
  }
  if (status->vip_local()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", N, " holds the VIP ",
                     status->vip(), "; a backup is restored only on the standby"));
    return kExitRefused;
  }
  // A backup that is not there or that restore cannot run is named before anything is
  // fenced (the agent would refuse it too, but only after the fence).
  auto backups = node->ListBackups();
  if (!backups.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", backups.status().message()));
    return kExitRefused;
  }
  const v1::BackupInfo* backup = nullptr;
  for (const v1::BackupInfo& b : backups->backups()) {
    if (b.run_id() == flags.run) backup = &b;
  }
  if (backup == nullptr) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: no backup of run ", flags.run, " on ",
                     N, " (see mmresync backups list --node ", N, ")"));
    return kExitRefused;
  }
  if (std::string why = NotRestorableReason(*backup, N); !why.empty()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", why));
    return kExitRefused;
  }
  if (!flags.yes) {
    if (!::isatty(STDIN_FILENO)) {
      Err("mmresync: backups restore replaces the node's user data; not a terminal, so pass "
          "--yes to confirm");
      return kExitUsage;
    }
    PrintTerminal(stdout, "Type the node's name (%s) to replace its user data with run %s's: ", N,
                  flags.run);
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != N) {
      Err("mmresync: not confirmed; nothing was changed");
      return kExitUsage;
    }
  }
  auto last = ReadLastRun(Journal::PathFor(session.config.state_dir, session.config.name));
  if (!last.ok()) {
    Err(absl::StrCat("mmresync: ", last.status().message()));
    return kExitUsage;
  }
  if (last->has_value() && (*last)->blocks_new_run()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: run ", (*last)->run_id,
                     " is unfinished; resume it (mmresync recover --resume) or abandon it "
                     "(mmresync recover --abandon ",
                     (*last)->run_id, ") first"));
    return kExitRefused;
  }
  PairLease lease(session, NewBackupsRunId("restore"));
  if (absl::Status s = lease.Acquire("mmresync backups restore"); !s.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", s.message()));
    return kExitRefused;
  }
  RestoreJournal journal(session, *node, lease.run_id(), *last);
  if (absl::Status s = journal.Start(flags.run); !s.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", s.message()));
    return kExitRefused;
  }
  // Fence the node as recover does: nothing may move the VIP onto it, take writes on it,
  // or replicate into it while its data is replaced.
  absl::Status s = node->Keepalived(lease.run_id(), /*start=*/false).status();
  if (s.ok()) s = node->SetReadOnly(lease.run_id(), true).status();
  if (s.ok()) s = node->StopReplica(lease.run_id(), /*reset=*/false).status();
  if (!s.ok()) {
    const std::string journaled = journal.Failed("fence-target", s);
    Err(absl::StrCat(
        "mmresync: backups restore: ", N, ": step fence: ", s.message(), "\nnothing was restored; ",
        N, " may be partly fenced: mmresync status shows it", journaled,
        "\nnext: mmresync recover   (re-seeds ", N, " and lifts the fence at its end)"));
    return kExitFailed;
  }
  const std::string fence_journaled = journal.StepDone("fence-target", "");
  auto restored = node->RestoreBackup(lease.run_id(), flags.run);
  if (!restored.ok()) {
    const std::string journaled = journal.Failed("restore", restored.status());
    Err(absl::StrCat(
        "mmresync: backups restore: ", N, ": step restore: ", restored.status().message(), "\n", N,
        " stays fenced (keepalived stopped, read_only ON, replication stopped)", fence_journaled,
        journaled, "\nnext: mmresync recover   (re-seeds ", N, " and lifts the fence at its end)"));
    return absl::IsFailedPrecondition(restored.status()) ? kExitRefused : kExitFailed;
  }
  const std::string journaled =
      absl::StrCat(fence_journaled, journal.StepDone("restore", *restored), journal.LeftFenced());
  PrintTerminal(
      stdout,
      "%s: %s\n%s stays fenced (keepalived stopped, read_only ON, replication stopped): "
      "run %s in the journal%s.\n"
      "next: mmresync recover   re-seeds %s from %s (replacing the restored data) and, at "
      "its end, lifts the fence: %s\n",
      N, *restored, N, lease.run_id(), journaled, N, journal.source(),
      DescribeOriginal(journal.original()));
  return journaled.empty() ? kExitOk : kExitFailed;
}

int RunBackupsPrune(const BackupsFlags& flags) {
  if (flags.keep < 0) {
    Err("mmresync backups prune: --keep N is required (how many of the newest backups stay)");
    return kExitUsage;
  }
  int exit = kExitOk;
  auto opened = Open(flags, &exit);
  if (!opened.ok()) {
    Err(absl::StrCat("mmresync: ", opened.status().message()));
    return exit;
  }
  ClusterSession& session = opened->session;
  const std::vector<AgentClient*>& nodes = opened->nodes;
  PairLease lease(session, NewBackupsRunId("prune"));
  if (absl::Status s = lease.Acquire("mmresync backups prune"); !s.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", s.message()));
    return kExitRefused;
  }
  for (AgentClient* c : nodes) {
    auto pruned = c->PruneBackups(lease.run_id(), static_cast<uint32_t>(flags.keep));
    if (!pruned.ok()) {
      Err(absl::StrCat("mmresync: backups prune: ", pruned.status().message()));
      exit = kExitFailed;
      continue;
    }
    std::vector<std::string> runs(pruned->removed().begin(), pruned->removed().end());
    PrintTerminal(stdout, "%s: removed %zu backup(s)%s%s\n", c->node().name, runs.size(),
                  runs.empty() ? "" : ": ", absl::StrJoin(runs, ", "));
  }
  return exit;
}

}  // namespace mmresync::coordinator
