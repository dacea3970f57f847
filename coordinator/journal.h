#pragma once

// The coordinator's journal, the commit point of a run: every run and every step
// start/finish, one JSON-encoded v1::JournalEntry per line, appended and fsynced to
// <state_dir>/journal/<cluster>.jsonl before the run goes on. A record that cannot be
// written stops the run (the executor and `recover` treat it as a failure).
// `recover --resume` and `status` read the last run back from it. Passwords never reach
// it: no message that carries one exists.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

class Journal {
 public:
  // Appends one line durably; AppendLineDurably unless a test injects a failing one.
  using AppendFn = std::function<absl::Status(const std::string& path, absl::string_view line)>;

  Journal(std::string path, std::string cluster, std::string run_id, AppendFn append = nullptr);
  static std::string PathFor(const std::string& state_dir, const std::string& cluster);

  // Sets run_id, cluster and time, and writes the entry; an error means it is not on disk.
  absl::Status Append(v1::JournalEntry entry);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string cluster_;
  std::string run_id_;
  AppendFn append_;
};

struct RunRecord {
  std::string run_id;
  std::string source;
  std::string target;
  bool finished = false;     // run-done seen
  bool failed = false;       // run-failed or run-interrupted seen (and not resumed since)
  bool interrupted = false;  // the last attempt ended by the operator (Ctrl-C)
  bool abandoned = false;    // run-abandoned seen: never resumed, never continued
  // run-left-fenced seen: a run that ends with its target fenced on purpose (`backups
  // restore`). Finished, not resumable; the next recover of that target takes its
  // original settings from it and lifts the fence at its end.
  bool left_fenced = false;
  std::vector<std::string> done_steps;
  std::map<std::string, std::string> records;

  // From the run's first run-start (nullopt in journals written before they existed).
  std::optional<v1::RunOptions> options;
  std::optional<v1::OriginalSettings> original;
  std::vector<std::string> plan;
  absl::Time started = absl::InfinitePast();  // the first run-start
  int attempts = 0;                           // run-start records (1 + resumes)
  // The latest attempt.
  v1::CoordinatorInstance coordinator;
  absl::Time last_record = absl::InfinitePast();
  std::string current_step;  // the last step started and not finished (empty if none)
  std::string failed_step;   // from the last run-failed/run-interrupted/step-failed
  std::string failure;       // its detail

  bool no_data_changed = false;  // it stopped at or before the fence (see the proto)

  // Neither done nor abandoned: `--resume` continues it.
  bool unfinished() const { return !finished && !abandoned; }
  // Unfinished and it got past the fence: a new run must not start over it.
  bool blocks_new_run() const { return unfinished() && !(failed && no_data_changed); }
  // The step the run stands at, for people: the current, else the failed one.
  std::string at_step() const { return !current_step.empty() ? current_step : failed_step; }
};

// Every run in the journal, oldest first (none when there is no journal). With
// `entries_of`, the journal's records of run `run_id` are appended to it, in order.
absl::StatusOr<std::vector<RunRecord>> ReadRuns(const std::string& path,
                                                std::vector<v1::JournalEntry>* entries_of = nullptr,
                                                const std::string& run_id = "");

// The last run in the journal, or nullopt when there is none.
absl::StatusOr<std::optional<RunRecord>> ReadLastRun(const std::string& path);

}  // namespace mmresync::coordinator
