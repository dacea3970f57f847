#include "coordinator/status_command.h"
#include "absl/strings/string_view.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/escape.h"
#include "common/version.h"
#include "coordinator/cert_expiry.h"
#include "coordinator/cluster_session.h"
#include "coordinator/coordinator_instance.h"
#include "coordinator/exit_codes.h"
#include "coordinator/journal.h"
#include "coordinator/json_text.h"
#include "coordinator/preflight_checks.h"
#include "coordinator/replication_mode.h"
#include "coordinator/run_state.h"
#include "coordinator/version_check.h"
#include "coordinator/vrrp_prediction.h"

namespace mmresync::coordinator {
namespace {

std::string ReplicaCell(const PairView& view, int i) {
  const v1::ReplicaStatus& r = view.nodes[i].status->replica();
  if (!r.configured()) return "not configured";
  const NodeEntry& peer = view.nodes[1 - i].entry;
  std::string from = (r.master_host() == peer.mariadb_host && r.master_port() == peer.mariadb_port)
                         ? peer.name
                         : absl::StrCat(r.master_host(), ":", r.master_port());
  return absl::StrCat(from, ": IO ", r.io_running().empty() ? "-" : r.io_running(), ", SQL ",
                      r.sql_running().empty() ? "-" : r.sql_running());
}

std::string ErrorCell(const v1::ReplicaStatus& r) {
  if (r.last_sql_errno()) return absl::StrCat("SQL ", r.last_sql_errno(), ": ", r.last_sql_error());
  if (r.last_io_errno()) return absl::StrCat("IO ", r.last_io_errno(), ": ", r.last_io_error());
  return "-";
}

}  // namespace

std::string RenderStatusTable(const PairView& view, const Diagnosis& diagnosis) {
  std::vector<std::pair<std::string, std::array<std::string, 2>>> rows;
  auto row = [&](std::string label, auto fn) {
    std::array<std::string, 2> cells;
    for (int i = 0; i < 2; ++i) {
      const NodeView& n = view.nodes[i];
      if (!n.reachable()) {
        cells[i] =
            label == "agent" ? absl::StrCat("UNREACHABLE: ", n.status.status().message()) : "?";
      } else if (!n.status->db_error().empty() && label != "agent" && label != "VIP" &&
                 label != "keepalived" && label != "vrrp config") {
        cells[i] = label == "mariadb" ? absl::StrCat("ERROR: ", n.status->db_error()) : "?";
      } else {
        cells[i] = fn(i, *n.status);
      }
    }
    rows.push_back({std::move(label), cells});
  };
  row("agent",
      [&](int i, const v1::NodeStatus&) { return absl::StrCat(view.nodes[i].entry.agent, " ok"); });
  row("agent version", [](int, const v1::NodeStatus& s) {
    return s.agent_version().empty() ? std::string("?") : s.agent_version();
  });
  row("mariadb", [&](int i, const v1::NodeStatus& s) {
    return absl::StrCat(view.nodes[i].entry.mariadb_host, ":", view.nodes[i].entry.mariadb_port,
                        "  ", s.version());
  });
  row("server_id", [](int, const v1::NodeStatus& s) { return absl::StrCat(s.server_id()); });
  row("VIP", [](int, const v1::NodeStatus& s) {
    if (!s.vip_configured()) return std::string("(not configured)");
    return absl::StrCat(s.vip(), s.vip_local() ? "  HELD" : "  -");
  });
  row("keepalived", [](int, const v1::NodeStatus& s) {
    const v1::KeepalivedState& k = s.keepalived();
    if (!k.managed()) return absl::StrCat("not managed (", k.control(), ")");
    std::string state = k.running() ? "running" : "stopped";
    if (absl::StartsWith(k.detail(), "status unknown")) state = "state unknown";
    return absl::StrCat(state, k.pid() ? absl::StrCat(", pid ", k.pid()) : "", " (", k.control(),
                        ")");
  });
  bool any_config = false;
  for (const NodeView& n : view.nodes) {
    any_config |= n.reachable() && !n.status->keepalived().config_file().empty();
  }
  if (any_config) {
    row("vrrp config", [](int, const v1::NodeStatus& s) {
      return DescribeVrrp(s.keepalived(), /*with_origin=*/false);
    });
  }
  row("read_only",
      [](int, const v1::NodeStatus& s) { return std::string(s.read_only() ? "ON" : "OFF"); });
  row("binlog", [](int, const v1::NodeStatus& s) {
    if (!s.log_bin()) return std::string("OFF");
    return absl::StrCat(s.master().file(), ":", s.master().position());
  });
  row("replicates from", [&](int i, const v1::NodeStatus&) { return ReplicaCell(view, i); });
  row("repl mode", [](int, const v1::NodeStatus& s) { return DescribeMode(ModeOf(s)); });
  row("last error", [](int, const v1::NodeStatus& s) { return ErrorCell(s.replica()); });
  row("behind", [](int, const v1::NodeStatus& s) {
    return s.replica().seconds_behind_master() < 0
               ? std::string("-")
               : absl::StrCat(s.replica().seconds_behind_master(), " s");
  });
  row("user data", [](int, const v1::NodeStatus& s) {
    return absl::StrCat(s.schemas_size(), " schema(s), ", HumanBytes(UserDataBytes(s)));
  });
  // The grants the re-seed needs (a FAIL here refuses `recover`).
  row("privileges", [](int, const v1::NodeStatus& s) {
    const PreflightCheck c = PrivilegesCheck(s);
    return c.result == CheckResult::kPass ? std::string("ok")
                                          : absl::StrCat(ResultWord(c.result), ": ", c.detail);
  });
  row("lease", [](int, const v1::NodeStatus& s) {
    return s.lease_holder().empty() ? std::string("-") : absl::StrCat("run ", s.lease_holder());
  });

  size_t w0 = 16, w1 = view.nodes[0].entry.name.size();
  for (const auto& [label, cells] : rows) w1 = std::max(w1, std::min<size_t>(cells[0].size(), 48));
  std::string out = absl::StrFormat("%-*s  %-*s  %s\n", w0, "", w1, view.nodes[0].entry.name,
                                    view.nodes[1].entry.name);
  for (const auto& [label, cells] : rows) {
    absl::StrAppend(&out, absl::StrFormat("%-*s  %-*s  %s\n", w0, label, w1, cells[0], cells[1]));
  }
  absl::StrAppend(&out, "\ndiagnosis: ", diagnosis.summary, "\n");
  for (size_t i = 1; i < diagnosis.problems.size(); ++i) {
    absl::StrAppend(&out, "           ", diagnosis.problems[i], "\n");
  }

  return out;
}

std::string RenderStatusJson(const std::string& cluster, const PairView& view,
                             const Diagnosis& diagnosis, const std::string& run_json) {
  const char* health = diagnosis.health == Health::kHealthy    ? "healthy"
                       : diagnosis.health == Health::kDegraded ? "degraded"
                                                               : "error";
  std::vector<std::string> problems, nodes, version_warnings;
  for (const auto& p : diagnosis.problems) problems.push_back(JsonQuote(p));
  for (const auto& w : VersionWarnings(view, VersionText())) {
    version_warnings.push_back(JsonQuote(w));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  for (const NodeView& n : view.nodes) {
    if (n.reachable()) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(*n.status, &json, options);
      nodes.push_back(json);
    } else {
      nodes.push_back(absl::StrCat("{\"node\":", JsonQuote(n.entry.name), ",\"agent_error\":",
                                   JsonQuote(n.status.status().message()), "}"));
    }
  }
  return absl::StrCat("{\"schema_version\":", kJsonSchemaVersion,
                      ",\"version\":", JsonQuote(VersionText()),
                      ",\"cluster\":", JsonQuote(cluster), ",\"health\":\"", health,
                      "\",\"summary\":", JsonQuote(diagnosis.summary), ",\"problems\":[",
                      absl::StrJoin(problems, ","), "],\"nodes\":[", absl::StrJoin(nodes, ","),
                      "],\"version_warnings\":[", absl::StrJoin(version_warnings, ","),
                      "],\"run\":", run_json, "}\n");
}

std::string PhysicalSwapText(const PairView& view) {
  std::string out;
  for (const auto& n : view.nodes) {
    if (!n.status.ok() || !n.status->has_physical_swap()) continue;
    const v1::PhysicalSwapState& swap = n.status->physical_swap();
    if (!swap.error().empty()) {
      absl::StrAppend(&out, "physical swap on ", n.entry.name, ": its record is unreadable (",
                      swap.error(), ")\n  next: ", swap.next(), "\n");
      continue;
    }
    absl::StrAppend(&out, "physical swap on ", n.entry.name, " (run ", swap.run_id(),
                    "): ", swap.settled() ? "finished" : "NOT FINISHED", "; datadir ",
                    swap.datadir(), ", the one from before at ", swap.old_datadir(),
                    "\n  next: ", swap.next(), "\n");
  }
  return out;
}

int RunStatus(const std::string& config_flag, bool json) {
  auto session = OpenCluster(config_flag);
  if (!session.ok()) {
    PrintTerminal(stderr, "mmresync: %s\n", std::string(session.status().message()).c_str());
    return kExitUsage;
  }
  if (absl::Status s = VerifyAgentIdentities(*session); !s.ok()) {
    PrintTerminal(stderr, "mmresync: refused: %s\n", std::string(s.message()));
    return kExitRefused;
  }
  PairView view = Discover(*session->a, *session->b, session->config.vip);
  Diagnosis diagnosis = Diagnose(view);
  const std::vector<std::string> expiring = CertificateExpiryWarnings(*session, absl::Now());
  auto last = ReadLastRun(Journal::PathFor(session->config.state_dir, session->config.name));
  RunActivity run =
      FindRunActivity(last.ok() ? *last : std::nullopt, view, absl::Now(),
                      [](const v1::CoordinatorInstance& holder) {
                        return HolderProvablyGone(holder, ThisInstance(), RealProcessProbe());
                      });
  if (json) {
    WriteTerminal(stdout, RenderStatusJson(session->config.name, view, diagnosis,
                                           RunActivityJson(run, config_flag)));
  } else {
    PrintTerminal(stdout, "cluster %s\n\n%s", session->config.name.c_str(),
                  RenderStatusTable(view, diagnosis).c_str());
    if (std::vector<std::string> nowhere = EventsRunningNowhere(view); !nowhere.empty()) {
      PrintTerminal(stdout, "note: %s\n", EventsRunningNowhereText(nowhere).c_str());
    }
    if (!last.ok()) {
      PrintTerminal(stdout, "journal: %s\n", std::string(last.status().message()).c_str());
    }
    WriteTerminal(stdout, RunActivityText(run, config_flag));
    WriteTerminal(stdout, PhysicalSwapText(view));
    for (const std::string& w : VersionWarnings(view, VersionText())) {
      PrintTerminal(stdout, "WARNING: %s\n", w);
    }
    if (diagnosis.health == Health::kDegraded && run.kind == RunActivity::Kind::kNone) {
      auto roles = ChooseRoles(view, std::nullopt);
      if (roles.ok()) {
        PrintTerminal(stdout,
                      "next: mmresync plan   (source would be %s: %s), then mmresync recover\n",
                      view.nodes[roles->source].entry.name.c_str(), roles->reason.c_str());
      } else {
        PrintTerminal(stdout, "next: mmresync plan --source NODE   (%s)\n",
                      std::string(roles.status().message()).c_str());
      }
    }
  }
  // Renewal is the operator's: `mmresync certs issue --force` (or the corporate PKI).
  for (const std::string& w : expiring) {
    PrintTerminal(json ? stderr : stdout, "WARNING: %s: renew it\n", w);
  }
  switch (diagnosis.health) {
    case Health::kHealthy:
      return kExitOk;
    case Health::kDegraded:
      return kExitFailed;
    case Health::kError:
      return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace mmresync::coordinator
