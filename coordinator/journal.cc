#include "coordinator/journal.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace mmresync::coordinator {
namespace {

constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%E3SZ";

absl::Time ParseRecordTime(const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%dT%H:%M:%E*SZ", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

}  // namespace

Journal::Journal(std::string path, std::string cluster, std::string run_id, AppendFn append)
    : path_(std::move(path)),
      cluster_(std::move(cluster)),
      run_id_(std::move(run_id)),
      append_(append ? std::move(append) : AppendFn(AppendLineDurably)) {}

std::string Journal::PathFor(const std::string& state_dir, const std::string& cluster) {
  return absl::StrCat(state_dir, "/journal/", cluster, ".jsonl");
}

absl::Status Journal::Append(v1::JournalEntry entry) {
  entry.set_run_id(run_id_);
  entry.set_cluster(cluster_);
  entry.set_time(absl::FormatTime(kTimeFormat, absl::Now(), absl::UTCTimeZone()));
  std::string line;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto s = google::protobuf::util::MessageToJsonString(entry, &line, options);
  if (!s.ok()) return absl::InternalError(absl::StrCat("journal: ", s.ToString()));
  size_t slash = path_.rfind('/');
  if (slash != std::string::npos) {
    RETURN_IF_ERROR(Annotate(MakeDirs(path_.substr(0, slash), 0700), "journal"));
  }
  return Annotate(append_(path_, line), absl::StrCat("journal ", path_));
}

absl::StatusOr<std::vector<RunRecord>> ReadRuns(const std::string& path,
                                                std::vector<v1::JournalEntry>* entries_of,
                                                const std::string& run_id) {
  std::vector<RunRecord> runs;
  std::ifstream in(path);
  if (!in) return runs;
  std::optional<RunRecord> run;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    v1::JournalEntry e;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(line, &e, options).ok()) {
      return absl::DataLossError(absl::StrCat(path, ":", line_no, ": unreadable journal line"));
    }
    absl::Time when = ParseRecordTime(e.time());
    if (entries_of != nullptr && e.run_id() == run_id) entries_of->push_back(e);
    if (e.event() == "run-start") {
      // `recover --resume` starts the same run again. What its earlier attempts finished
      // stays done, and its options and original settings stay those of its first start.
      if (!run.has_value() || run->run_id != e.run_id()) {
        if (run.has_value()) runs.push_back(std::move(*run));
        run = RunRecord{};
        run->run_id = e.run_id();
        run->source = e.source();
        run->target = e.target();
        run->started = when;
        if (e.has_options()) run->options = e.options();
        if (e.has_original()) run->original = e.original();
        run->plan.assign(e.plan().begin(), e.plan().end());
        for (const auto& [k, v] : e.records()) run->records[k] = v;
      }
      run->failed = false;
      run->interrupted = false;
      run->no_data_changed = false;
      run->current_step.clear();
      run->coordinator = e.coordinator();
      ++run->attempts;
      run->last_record = when;
      continue;
    }
    if (!run.has_value() || e.run_id() != run->run_id) continue;
    run->last_record = when;
    if (e.event() == "step-start") {
      run->current_step = e.step();
    } else if (e.event() == "step-done") {
      run->done_steps.push_back(e.step());
      run->current_step.clear();
      for (const auto& [k, v] : e.records()) run->records[k] = v;
    } else if (e.event() == "step-failed") {
      run->current_step.clear();
      run->failed_step = e.step();
      run->failure = e.detail();
    } else if (e.event() == "run-done") {
      run->finished = true;
    } else if (e.event() == "run-failed" || e.event() == "run-interrupted") {
      run->failed = true;
      run->interrupted = e.event() == "run-interrupted";
      // Only for a run none of whose attempts finished a step past the pause hook (a
      // resumed run re-runs the fence first, whatever it did before).
      run->no_data_changed = e.no_data_changed() &&
                             std::all_of(run->done_steps.begin(), run->done_steps.end(),
                                         [](const std::string& id) { return id == "pause-hook"; });
      run->current_step.clear();
      if (!e.step().empty()) run->failed_step = e.step();
      run->failure = e.detail();
    } else if (e.event() == "run-abandoned") {
      run->abandoned = true;
    } else if (e.event() == "run-left-fenced") {
      run->finished = true;
      run->left_fenced = true;
      run->failure = e.detail();
    }
  }
  if (run.has_value()) runs.push_back(std::move(*run));
  return runs;
}

absl::StatusOr<std::optional<RunRecord>> ReadLastRun(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<RunRecord> runs, ReadRuns(path));
  if (runs.empty()) return std::optional<RunRecord>();
  return std::optional<RunRecord>(std::move(runs.back()));
}

}  // namespace mmresync::coordinator
