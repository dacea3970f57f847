#pragma once

// The coordinator's journal: every run and every step start/finish, appended (and
// fsynced) to <state_dir>/journal/<cluster>.jsonl. `recover --resume` reads the last
// run back from it. Passwords never reach it: no message that carries one exists.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

class Journal {
 public:
  Journal(std::string path, std::string cluster, std::string run_id)
      : path_(std::move(path)), cluster_(std::move(cluster)), run_id_(std::move(run_id)) {}
  static std::string PathFor(const std::string& state_dir, const std::string& cluster);

  absl::Status Append(v1::JournalEntry entry);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string cluster_;
  std::string run_id_;
};

struct RunRecord {
  std::string run_id;
  std::string source;
  std::string target;
  bool finished = false;  // run-done seen
  bool failed = false;    // run-failed seen
  std::vector<std::string> done_steps;
  std::map<std::string, std::string> records;
};

// The last run in the journal, or nullopt when there is none.
absl::StatusOr<std::optional<RunRecord>> ReadLastRun(const std::string& path);

}  // namespace mmresync::coordinator
