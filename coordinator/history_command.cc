#include "coordinator/history_command.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/config.h"
#include "common/escape.h"
#include "common/version.h"
#include "coordinator/exit_codes.h"
#include "coordinator/json_text.h"

namespace mmresync::coordinator {
namespace {

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string Record(const RunRecord& run, const std::string& key) {
  auto it = run.records.find(key);
  return it == run.records.end() ? std::string() : it->second;
}

// The method that ran (recorded by the transfer), else the one asked for.
std::string Method(const RunRecord& run) {
  std::string ran = Record(run, "method");
  if (!ran.empty()) return ran;
  if (run.left_fenced) return "restore";
  return run.options.has_value() ? run.options->method() : std::string();
}

uint64_t Bytes(const RunRecord& run) {
  uint64_t bytes = 0;
  (void)absl::SimpleAtoi(Record(run, "bytes"), &bytes);
  return bytes;
}

double Seconds(const RunRecord& run) {
  if (run.started == absl::InfinitePast() || run.last_record == absl::InfinitePast()) return 0;
  return absl::ToDoubleSeconds(run.last_record - run.started);
}

std::string Who(const RunRecord& run) {
  if (run.coordinator.user().empty() && run.coordinator.host().empty()) return "?";
  return absl::StrCat(run.coordinator.user(), "@", run.coordinator.host());
}

}  // namespace

std::string RunOutcome(const RunRecord& run) {
  if (run.abandoned) return "abandoned";
  if (run.left_fenced) return "left-fenced";
  if (run.finished) return "done";
  if (run.failed) return run.interrupted ? "interrupted" : "failed";
  return "unfinished";
}

std::string RenderHistoryText(const std::vector<RunRecord>& runs) {
  if (runs.empty()) return "no runs in the journal\n";
  std::string out =
      absl::StrFormat("%-32s %-19s %9s  %-24s %-13s %-9s %s\n", "RUN", "STARTED (UTC)", "SECONDS",
                      "WHO", "SOURCE->TARGET", "METHOD", "OUTCOME");
  for (const RunRecord& r : runs) {
    std::string outcome = RunOutcome(r);
    if (!r.failed_step.empty() && outcome != "done") {
      absl::StrAppend(&outcome, " at ", r.failed_step);
    }
    absl::StrAppend(
        &out,
        absl::StrFormat("%-32s %-19s %9.1f  %-24s %-13s %-9s %s\n", r.run_id,
                        r.started == absl::InfinitePast()
                            ? std::string("?")
                            : absl::FormatTime("%Y-%m-%d %H:%M:%S", r.started, absl::UTCTimeZone()),
                        Seconds(r), Who(r), absl::StrCat(r.source, "->", r.target),
                        Method(r).empty() ? std::string("-") : Method(r), outcome));
  }
  return out;
}

std::string RenderHistoryJson(const std::vector<RunRecord>& runs) {
  std::vector<std::string> items;
  for (const RunRecord& r : runs) {
    items.push_back(absl::StrCat(
        "{\"run\":", JsonQuote(r.run_id), ",\"user\":", JsonQuote(r.coordinator.user()),
        ",\"host\":", JsonQuote(r.coordinator.host()), ",\"coordinator_id\":",
        JsonQuote(r.coordinator.id()), ",\"started\":", JsonQuote(Rfc3339(r.started)),
        ",\"ended\":", JsonQuote(Rfc3339(r.last_record)),
        ",\"seconds\":", absl::StrFormat("%.3f", Seconds(r)), ",\"source\":", JsonQuote(r.source),
        ",\"target\":", JsonQuote(r.target), ",\"method\":", JsonQuote(Method(r)),
        ",\"bytes\":", Bytes(r), ",\"outcome\":", JsonQuote(RunOutcome(r)),
        ",\"failed_step\":", JsonQuote(r.failed_step), ",\"detail\":", JsonQuote(r.failure),
        ",\"attempts\":", r.attempts, "}"));
  }
  return absl::StrCat("{\"schema_version\":", kJsonSchemaVersion,
                      ",\"version\":", JsonQuote(VersionText()), ",\"runs\":[",
                      absl::StrJoin(items, ","), "]}\n");
}

std::string RenderRunText(const RunRecord& run, const std::vector<v1::JournalEntry>& entries) {
  std::string out = absl::StrCat("run ", run.run_id, ": ", run.source, " -> ", run.target, ", ",
                                 RunOutcome(run), ", by ", Who(run), "\n");
  for (const v1::JournalEntry& e : entries) {
    absl::StrAppend(&out, absl::StrFormat("  %-24s %-16s %-16s %-6s %s\n", e.time(), e.event(),
                                          e.step(), e.node(), e.detail()));
  }
  return out;
}

std::string RenderRunJson(const RunRecord& run, const std::vector<v1::JournalEntry>& entries) {
  std::vector<std::string> items;
  for (const v1::JournalEntry& e : entries) {
    items.push_back(
        absl::StrCat("{\"time\":", JsonQuote(e.time()), ",\"event\":", JsonQuote(e.event()),
                     ",\"step\":", JsonQuote(e.step()), ",\"node\":", JsonQuote(e.node()),
                     ",\"detail\":", JsonQuote(e.detail()), "}"));
  }
  return absl::StrCat("{\"schema_version\":", kJsonSchemaVersion,
                      ",\"version\":", JsonQuote(VersionText()), ",\"run\":", JsonQuote(run.run_id),
                      ",\"outcome\":", JsonQuote(RunOutcome(run)), ",\"records\":[",
                      absl::StrJoin(items, ","), "]}\n");
}

int RunHistory(const std::string& config_flag, const std::string& run, bool json) {
  auto config = LoadClusterConfig(ConfigPathFromEnv(config_flag, kDefaultClusterConfig));
  if (!config.ok()) {
    PrintTerminal(stderr, "mmresync: %s\n", std::string(config.status().message()));
    return kExitUsage;
  }
  const std::string path = Journal::PathFor(config->state_dir, config->name);
  std::vector<v1::JournalEntry> entries;
  auto runs = ReadRuns(path, run.empty() ? nullptr : &entries, run);
  if (!runs.ok()) {
    PrintTerminal(stderr, "mmresync: %s\n", std::string(runs.status().message()));
    return kExitUsage;
  }
  if (run.empty()) {
    WriteTerminal(stdout, json ? RenderHistoryJson(*runs) : RenderHistoryText(*runs));
    return kExitOk;
  }
  for (const RunRecord& r : *runs) {
    if (r.run_id != run) continue;
    WriteTerminal(stdout, json ? RenderRunJson(r, entries) : RenderRunText(r, entries));
    return kExitOk;
  }
  PrintTerminal(stderr, "mmresync: history: no run %s in the journal %s\n", EscapeUntrusted(run),
                path);
  return kExitUsage;
}

}  // namespace mmresync::coordinator
