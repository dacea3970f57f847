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
#include "coordinator/json_text.h"

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
                    b.restorable() ? "" : "  (not restorable through mmresync)");
    }
  }
  if (flags.json) {
    WriteTerminal(stdout, absl::StrCat("{\"nodes\":[", absl::StrJoin(json_nodes, ","), "]}\n"));
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
  PairLease lease(session, NewBackupsRunId("restore"));
  if (absl::Status s = lease.Acquire("mmresync backups restore"); !s.ok()) {
    Err(absl::StrCat("mmresync: refused, nothing was changed: ", s.message()));
    return kExitRefused;
  }
  // Fence the node as recover does: nothing may move the VIP onto it, take writes on it,
  // or replicate into it while its data is replaced.
  absl::Status s = node->Keepalived(lease.run_id(), /*start=*/false).status();
  if (s.ok()) s = node->SetReadOnly(lease.run_id(), true).status();
  if (s.ok()) s = node->StopReplica(lease.run_id(), /*reset=*/false).status();
  if (!s.ok()) {
    Err(absl::StrCat("mmresync: backups restore: ", N, ": step fence: ", s.message(),
                     "\nnothing was restored; ", N,
                     " may be partly fenced: mmresync status shows it"));
    return kExitFailed;
  }
  auto restored = node->RestoreBackup(lease.run_id(), flags.run);
  if (!restored.ok()) {
    Err(absl::StrCat("mmresync: backups restore: ", N,
                     ": step restore: ", restored.status().message(), "\n", N,
                     " stays fenced (keepalived stopped, read_only ON, replication stopped)"));
    return absl::IsFailedPrecondition(restored.status()) ? kExitRefused : kExitFailed;
  }
  // The restore is not a journaled run, so a recover that follows takes this fence for
  // the node's own settings and keeps it: say how to lift it.
  PrintTerminal(stdout,
                "%s: %s\n%s stays fenced (keepalived stopped, read_only ON, replication stopped).\n"
                "next: mmresync recover --source %s   (make this data the pair's), or\n"
                "      mmresync recover              (re-seed %s from the VIP holder again);\n"
                "      recover keeps the fence it finds: afterwards, on %s, SET GLOBAL read_only "
                "= OFF and start keepalived\n",
                N, *restored, N, N, N, N);
  return kExitOk;
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
