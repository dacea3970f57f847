#include "agent/backup_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempDir() {
  char tmpl[] = "/tmp/backup_store_test.XXXXXX";
  return ::mkdtemp(tmpl);
}

TEST(BackupStoreTest, ParkedSchemasComeFromTheScriptsOwnLines) {
  const std::string script =
      "-- mmresync backup of the target before re-seed, run r1\n-- Parked: ...\n"
      "-- `shop` is parked in `mmr_park_0a1b2c3d_0`\nDROP DATABASE IF EXISTS `shop`;\n"
      "-- `crm` is parked in `mmr_park_0a1b2c3d_1`\n"
      "-- `x` is parked in `not_ours`\n";
  EXPECT_THAT(ParkedSchemasOf(script), ElementsAre("mmr_park_0a1b2c3d_0", "mmr_park_0a1b2c3d_1"));
}

TEST(BackupStoreTest, ListsScriptsWithValidRunIdsOldestFirst) {
  const std::string dir = TempDir();
  ASSERT_TRUE(MakeDirs(dir + "/backups", 0700).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/backups/new-run.sql",
                                  "-- mariadb dump\n-- mmresync backup complete\n", 0600)
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/backups/old-run.sql",
                                  "-- mmresync backup ...\n-- Parked: the user tables\n"
                                  "-- `a` is parked in `mmr_park_00000000_0`\n",
                                  0600)
                  .ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/backups/x.sql.partial", "", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/backups/bad name.sql", "", 0600).ok());
  struct timespec times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir + "/backups/old-run.sql").c_str(), times, 0), 0);

  auto list = ListBackups(dir, /*session=*/nullptr);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].run_id(), "old-run");
  EXPECT_EQ((*list)[0].kind(), "park");
  // Its parked schema is not present (no database asked): nothing left to move back.
  EXPECT_FALSE((*list)[0].restorable());
  EXPECT_EQ((*list)[1].run_id(), "new-run");
  EXPECT_EQ((*list)[1].kind(), "dump");
  EXPECT_TRUE((*list)[1].restorable());
}

TEST(BackupStoreTest, ListsDeltaBackupsAsRestorable) {
  const std::string dir = TempDir();
  ASSERT_TRUE(MakeDirs(dir + "/backups/run-1.delta/1700000000000", 0700).ok());
  ASSERT_TRUE(MakeDirs(dir + "/backups/bad name.delta", 0700).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/backups/file.delta", "", 0600).ok());
  auto list = ListBackups(dir, /*session=*/nullptr);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].run_id(), "run-1");
  EXPECT_EQ((*list)[0].kind(), "delta");
  EXPECT_EQ((*list)[0].path(), dir + "/backups/run-1.delta");
  EXPECT_TRUE((*list)[0].restorable());
}

TEST(BackupStoreTest, RestoreRefusesMissingIncompleteAndHostileRuns) {
  const std::string dir = TempDir();
  ASSERT_TRUE(MakeDirs(dir + "/backups", 0700).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/backups/cut.sql", "CREATE TABLE t (", 0600).ok());
  DbConnectParams connect;
  absl::Status missing = RestoreBackup(dir, "/bin/false", connect, "nope");
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_THAT(std::string(missing.message()), HasSubstr("backups list"));
  absl::Status cut = RestoreBackup(dir, "/bin/false", connect, "cut");
  EXPECT_TRUE(absl::IsDataLoss(cut)) << cut;
  absl::Status hostile = RestoreBackup(dir, "/bin/false", connect, "../../etc/passwd");
  EXPECT_TRUE(absl::IsInvalidArgument(hostile)) << hostile;
}

TEST(BackupStoreTest, ADamagedOrEmptyDeltaBackupIsNotRestored) {
  const std::string dir = TempDir();
  const std::string delta = dir + "/backups/d-run.delta";
  ASSERT_TRUE(MakeDirs(delta + "/1700000000000", 0700).ok());
  ASSERT_TRUE(
      WriteFileAtomically(delta + "/1700000000000/restore.sql", "-- 12345678\n", 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(delta + "/1700000000000/0000.tsv.zst", "1234", 0600).ok());
  ASSERT_TRUE(MakeDirs(dir + "/backups/bad name.delta", 0700).ok());

  auto list = ListBackups(dir, /*session=*/nullptr);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].run_id(), "d-run");
  EXPECT_EQ((*list)[0].kind(), "delta");
  EXPECT_EQ((*list)[0].bytes(), 16u);
  EXPECT_EQ((*list)[0].path(), delta);

  // Not zstd: refused before the client (/bin/false) runs.
  absl::Status restore = RestoreBackup(dir, "/bin/false", DbConnectParams(), "d-run");
  EXPECT_TRUE(absl::IsDataLoss(restore)) << restore;
  EXPECT_THAT(std::string(restore.message()), HasSubstr("0000.tsv.zst"));

  ASSERT_TRUE(MakeDirs(dir + "/backups/e-run.delta", 0700).ok());
  absl::Status empty = RestoreBackup(dir, "/bin/false", DbConnectParams(), "e-run");
  EXPECT_TRUE(absl::IsNotFound(empty)) << empty;
  EXPECT_THAT(std::string(empty.message()), HasSubstr("holds no attempt"));
}

}  // namespace
}  // namespace mmresync::agent
