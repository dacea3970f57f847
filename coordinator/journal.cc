#include "coordinator/journal.h"

#include <google/protobuf/util/json_util.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace mmresync::coordinator {

std::string Journal::PathFor(const std::string& state_dir, const std::string& cluster) {
  return absl::StrCat(state_dir, "/journal/", cluster, ".jsonl");
}

absl::Status Journal::Append(v1::JournalEntry entry) {
  entry.set_run_id(run_id_);
  entry.set_cluster(cluster_);
  entry.set_time(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  std::string line;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto s = google::protobuf::util::MessageToJsonString(entry, &line, options);
  if (!s.ok()) return absl::InternalError(absl::StrCat("journal: ", s.ToString()));
  size_t slash = path_.rfind('/');
  if (slash != std::string::npos) RETURN_IF_ERROR(MakeDirs(path_.substr(0, slash), 0700));
  return Annotate(AppendLineDurably(path_, line), "journal");
}

absl::StatusOr<std::optional<RunRecord>> ReadLastRun(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<RunRecord>();
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
    if (e.event() == "run-start") {
      // `recover --resume` starts the same run again. What its earlier attempts finished
      // stays done: the executor does not journal the steps it skips as done.
      if (run.has_value() && run->run_id == e.run_id()) {
        run->failed = false;
        continue;
      }
      run = RunRecord{};
      run->run_id = e.run_id();
      run->source = e.source();
      run->target = e.target();
      continue;
    }
    if (!run.has_value() || e.run_id() != run->run_id) continue;
    if (e.event() == "step-done") {
      run->done_steps.push_back(e.step());
      for (const auto& [k, v] : e.records()) run->records[k] = v;
    } else if (e.event() == "run-done") {
      run->finished = true;
    } else if (e.event() == "run-failed") {
      run->failed = true;
    }
  }
  return run;
}

}  // namespace mmresync::coordinator
