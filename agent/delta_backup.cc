#include "agent/delta_backup.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "agent/load_data_format.h"
#include "common/compression.h"
#include "common/files.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

constexpr int kBackupZstdLevel = 3;

// One backup file written frame by frame: what is added is compressed as soon as a frame's
// worth is there, so a table's saved rows are never whole in memory.
class CompressedFile {
 public:
  static absl::StatusOr<CompressedFile> Open(const std::string& path) {
    ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::Open(path, 0600));
    return CompressedFile(std::move(file));
  }
  // `pending` is appended to by the caller; full frames are taken from it.
  std::string& pending() { return pending_; }
  absl::Status Flush(bool all) {
    size_t pos = 0;
    for (; pending_.size() - pos >= kDeltaBackupFrameBytes || (all && pos < pending_.size());
         pos += std::min(kDeltaBackupFrameBytes, pending_.size() - pos)) {
      ASSIGN_OR_RETURN(std::string frame, zstd_->Compress(absl::string_view(pending_).substr(
                                                              pos, kDeltaBackupFrameBytes),
                                                          kBackupZstdLevel));
      RETURN_IF_ERROR(file_.Append(frame));
    }
    pending_.erase(0, pos);
    return absl::OkStatus();
  }
  absl::Status Commit() {
    RETURN_IF_ERROR(Flush(/*all=*/true));
    return file_.Commit();
  }

 private:
  explicit CompressedFile(AtomicFileWriter file)
      : file_(std::move(file)), zstd_(std::make_unique<ZstdCompressor>()) {}
  AtomicFileWriter file_;
  std::unique_ptr<ZstdCompressor> zstd_;
  std::string pending_;
};

}  // namespace

absl::StatusOr<DeltaBackup> DeltaBackup::Create(const std::string& state_dir,
                                                const std::string& run_id) {
  // Beside the park/dump backup files, which `backups list` reads (<run>.sql); this
  // name is not one of them.
  const std::string dir =
      absl::StrCat(state_dir, "/backups/", run_id, ".delta/", absl::ToUnixMillis(absl::Now()));
  RETURN_IF_ERROR(MakeDirs(dir, 0700));
  DeltaBackup backup(dir);
  RETURN_IF_ERROR(backup.WriteRestoreScript());
  return backup;
}

std::string DeltaBackup::NextName(const std::string& suffix) {
  return absl::StrFormat("%04d%s", next_++, suffix);
}

absl::StatusOr<std::string> DeltaBackup::WriteCompressed(const std::string& suffix,
                                                         const std::string& text) {
  const std::string name = NextName(suffix);
  ASSIGN_OR_RETURN(CompressedFile file, CompressedFile::Open(absl::StrCat(dir_, "/", name)));
  file.pending() = text;
  RETURN_IF_ERROR(file.Commit());
  return name;
}

absl::StatusOr<uint64_t> DeltaBackup::SaveRows(DbSession& reader, const v1::TransferPart& part,
                                               const std::string& where, const std::string& undo) {
  const std::string name = NextName(".tsv.zst");
  ASSIGN_OR_RETURN(CompressedFile rows, CompressedFile::Open(absl::StrCat(dir_, "/", name)));
  uint64_t n = 0;
  RETURN_IF_ERROR(reader.StreamRows(absl::StrCat(SelectColumnsSql(part), " WHERE ", where),
                                    [&](const DbSession::RowValues& row) -> absl::Status {
                                      AppendLoadDataRow(row, &rows.pending());
                                      ++n;
                                      return rows.Flush(/*all=*/false);
                                    }));
  RETURN_IF_ERROR(rows.Commit());
  const std::string file = name.substr(0, name.size() - 4);  // as decompressed
  restore_.push_back(absl::StrCat("-- ", n, " row(s) of ", QuoteIdentifier(part.schema()), ".",
                                  QuoteIdentifier(part.table()), " from ", name));
  if (!undo.empty()) restore_.push_back(undo);
  restore_.push_back(absl::StrCat(
      absl::StrReplaceAll(LoadDataSql(part), {{"'mmresync-part'", "'" + file + "'"}}), ";"));
  RETURN_IF_ERROR(WriteRestoreScript());
  return n;
}

absl::Status DeltaBackup::SaveSql(const std::string& what, const std::string& sql, bool last) {
  ASSIGN_OR_RETURN(std::string name, WriteCompressed(".sql.zst", sql));
  // `source` is the mariadb client's command: restore.sql runs the file itself.
  std::vector<std::string>& into = last ? restore_last_ : restore_;
  into.push_back(absl::StrCat("-- ", what, " from ", name));
  into.push_back(absl::StrCat("source ", name.substr(0, name.size() - 4)));
  return WriteRestoreScript();
}

absl::Status DeltaBackup::WriteRestoreScript() {
  std::string text = absl::StrCat(
      "-- mmresync delta repair: what the target held before the repair changed it.\n"
      "-- Decompress first (zstd -d *.zst), then from this directory:\n"
      "--   mariadb --local-infile=1 --init-command='SET sql_log_bin=0' < restore.sql\n"
      "-- on the fenced node only. Entries are in the order the repair made them.\n"
      "SET SESSION sql_log_bin = 0;\nSET SESSION foreign_key_checks = 0;\n"
      "SET SESSION time_zone = '+00:00';\n",
      absl::StrJoin(restore_, "\n"), "\n",
      restore_last_.empty()
          ? ""
          : "-- The repair gave this node the source's triggers and events: drop those first,\n"
            "-- or the CREATEs below stop the script.\n",
      absl::StrJoin(restore_last_, "\n"), restore_last_.empty() ? "" : "\n");
  return WriteFileAtomically(absl::StrCat(dir_, "/restore.sql"), text, 0600);
}

}  // namespace mmresync::agent
