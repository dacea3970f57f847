// The delta repair's backup writes what it replaces frame by frame into files that appear
// whole or not at all.

#include "agent/delta_backup.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/compression.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using testing_util::TempDir;

v1::TransferPart Part() {
  v1::TransferPart part;
  part.set_schema("s");
  part.set_table("t");
  part.add_columns()->set_name("id");
  part.add_columns()->set_name("v");
  return part;
}

std::vector<std::string> Frames(const std::string& path) {
  auto data = ReadFileToString(path);
  EXPECT_TRUE(data.ok()) << data.status();
  std::vector<std::string> frames;
  absl::Status s = DecompressFrames(*data, kDeltaBackupFrameBytes, [&](absl::string_view f) {
    frames.emplace_back(f);
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return frames;
}

// ~3.5 MiB of rows come out as frames of at most kDeltaBackupFrameBytes, which together are
// the rows in LOAD DATA's format, in one file named in restore.sql.
TEST(DeltaBackupTest, SavedRowsAreCompressedFrameByFrame) {
  TempDir state;
  fakes::FakeDbScript script;
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int i = 1; i <= 3500; ++i) rows.push_back({absl::StrCat(i), std::string(1000, 'x')});
  script.OnQuery("SELECT `id`, `v` FROM `s`.`t` WHERE 1", fakes::Rows({"id", "v"}, rows));
  fakes::FakeDbSession reader(&script);
  auto backup = DeltaBackup::Create(state.path(), "run-1");
  ASSERT_TRUE(backup.ok()) << backup.status();
  auto n = backup->SaveRows(reader, Part(), "1", "DELETE FROM `s`.`t`;");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3500u);

  const std::string file = backup->dir() + "/0000.tsv.zst";
  std::vector<std::string> frames = Frames(file);
  ASSERT_GE(frames.size(), 4u);
  std::string all;
  for (const auto& f : frames) {
    EXPECT_LE(f.size(), kDeltaBackupFrameBytes);
    all += f;
  }
  std::string expected;
  for (int i = 1; i <= 3500; ++i) absl::StrAppend(&expected, i, "\t", std::string(1000, 'x'), "\n");
  EXPECT_TRUE(all == expected) << all.size() << " bytes against " << expected.size();
  auto restore = ReadFileToString(backup->dir() + "/restore.sql");
  ASSERT_TRUE(restore.ok());
  EXPECT_TRUE(absl::StrContains(*restore, "-- 3500 row(s) of `s`.`t` from 0000.tsv.zst"));
  EXPECT_TRUE(absl::StrContains(*restore, "'0000.tsv'"));
  // Nothing but the finished files: no temporary file left beside them.
  for (const auto& e : std::filesystem::directory_iterator(backup->dir())) {
    EXPECT_FALSE(absl::StrContains(e.path().filename().string(), ".tmp")) << e.path();
  }
}

// Rows made as they are read, as a server streams them: none of them kept here.
class GeneratedRows : public fakes::FakeDbSession {
 public:
  GeneratedRows(fakes::FakeDbScript* script, int rows, size_t width)
      : FakeDbSession(script), rows_(rows), value_(width, 'y') {}
  absl::Status StreamRows(absl::string_view,
                          absl::FunctionRef<absl::Status(const RowValues&)> on_row) override {
    std::string id;
    RowValues row(2);
    for (int i = 1; i <= rows_; ++i) {
      id = absl::StrCat(i);
      row[0] = id;
      row[1] = value_;
      if (absl::Status s = on_row(row); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  int rows_;
  std::string value_;
};

// This process's peak resident memory (VmHWM), in bytes, since the last reset.
size_t PeakRss() {
  auto status = ReadFileToString("/proc/self/status");
  if (!status.ok()) return 0;
  const size_t at = status->find("VmHWM:");
  if (at == std::string::npos) return 0;
  return std::strtoull(status->c_str() + at + 6, nullptr, 10) * 1024;
}

// Saving 256 MiB of rows (a big table copied whole) holds a frame of them at a time, not
// the table: the process's peak memory grows by far less than what was saved.
TEST(DeltaBackupTest, SavingABigTableKeepsAFrameInMemoryNotTheTable) {
  TempDir state;
  fakes::FakeDbScript script;
  GeneratedRows reader(&script, 65536, 4096);  // 256 MiB of values
  auto backup = DeltaBackup::Create(state.path(), "run-3");
  ASSERT_TRUE(backup.ok()) << backup.status();
  {
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";  // VmHWM back to the current RSS
    ASSERT_TRUE(reset.good());
  }
  const size_t before = PeakRss();
  ASSERT_GT(before, 0u);
  auto n = backup->SaveRows(reader, Part(), "1", "");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 65536u);
  const size_t grew = PeakRss() - before;
  EXPECT_LT(grew, size_t{32} << 20) << "peak memory grew by " << grew << " bytes";
}

// A read that fails part way leaves no backup file behind, only the error.
TEST(DeltaBackupTest, AFailedReadLeavesNoPartialFile) {
  TempDir state;
  fakes::FakeDbScript script;
  script.Fail("SELECT `id`, `v` FROM `s`.`t` WHERE 1",
              absl::UnavailableError("Lost connection to server during query"));
  fakes::FakeDbSession reader(&script);
  auto backup = DeltaBackup::Create(state.path(), "run-2");
  ASSERT_TRUE(backup.ok()) << backup.status();
  auto n = backup->SaveRows(reader, Part(), "1", "");
  EXPECT_FALSE(n.ok());
  for (const auto& e : std::filesystem::directory_iterator(backup->dir())) {
    EXPECT_EQ(e.path().filename().string(), "restore.sql") << e.path();
  }
}

TEST(AtomicFileWriterTest, AppearsWholeOnCommitOrNotAtAll) {
  TempDir dir;
  const std::string path = dir.File("f");
  {
    auto w = AtomicFileWriter::Open(path, 0600);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(w->Append("part one, ").ok());
    EXPECT_FALSE(std::filesystem::exists(path)) << "visible before its commit";
  }  // dropped without a commit
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            0);
  auto w = AtomicFileWriter::Open(path, 0600);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Append("part one, ").ok());
  ASSERT_TRUE(w->Append("part two").ok());
  ASSERT_TRUE(w->Commit().ok());
  EXPECT_EQ(*ReadFileToString(path), "part one, part two");
  EXPECT_FALSE(w->Append("more").ok());
}

}  // namespace
}  // namespace mmresync::agent
