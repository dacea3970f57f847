#pragma once

// What a delta repair saves of the target before it changes it: only the rows of the
// ranges it replaces and the tables it drops or re-creates, plus the target's triggers
// and events (dropped and replayed from the source). One directory per attempt:
//   <state_dir>/backups/<run>.delta/<unix ms>/
//     NNNN.tsv.zst   rows in the LOAD DATA text format (load_data_format.h), zstd frames
//     NNNN.sql.zst   SQL (a table's old definition, the old triggers and events)
//     restore.sql    what puts them back: for each entry the DELETE of the rows the
//                    repair put there (or the DROP and CREATE of its table) and the
//                    LOAD DATA LOCAL INFILE of the saved rows, the old triggers and events
//                    last; see README "Delta repair"
// Files are 0600, written whole and fsynced (tmp + rename). Rows are held compressed in
// memory until their file is written: fine for deltas, a limit for very large tables
// copied whole.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// Rows and SQL are saved as zstd frames of at most this many bytes each.
inline constexpr size_t kDeltaBackupFrameBytes = 1 << 20;

class DeltaBackup {
 public:
  static absl::StatusOr<DeltaBackup> Create(const std::string& state_dir,
                                            const std::string& run_id);
  const std::string& dir() const { return dir_; }

  // Saves the rows of `part`'s table (its columns) matching `where` (an SQL condition
  // built by key_range.h, or "1"), read on `reader` (SET NAMES binary) and compressed as
  // they come (never more than a frame of them in memory), and records
  // `undo` (statements that remove what the repair puts there) followed by the load.
  // Returns the rows saved.
  absl::StatusOr<uint64_t> SaveRows(DbSession& reader, const v1::TransferPart& part,
                                    const std::string& where, const std::string& undo);
  // Saves SQL text (definitions) and records running it (`source NNNN.sql`): in order,
  // or with `last` after every other entry (triggers, which must not fire on the rows
  // put back).
  absl::Status SaveSql(const std::string& what, const std::string& sql, bool last = false);
  // Writes restore.sql (again after every entry: a repair cut short leaves a usable one).
  absl::Status WriteRestoreScript();

 private:
  explicit DeltaBackup(std::string dir) : dir_(std::move(dir)) {}
  std::string NextName(const std::string& suffix);
  absl::StatusOr<std::string> WriteCompressed(const std::string& suffix, const std::string& text);

  std::string dir_;
  int next_ = 0;
  std::vector<std::string> restore_;
  std::vector<std::string> restore_last_;
};

}  // namespace mmresync::agent
