#include "coordinator/run_inheritance.h"

#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

RunRecord LastRun() {
  RunRecord r;
  r.run_id = "r1";
  r.source = "db1";
  r.target = "db2";
  v1::OriginalSettings o;
  o.set_target_read_only(false);
  o.set_target_keepalived_managed(true);
  o.set_target_keepalived_running(true);
  r.original = o;
  r.records["backup_path"] = "/var/lib/mmresync/backups/r1.sql";
  return r;
}

TEST(InheritFromLastRunTest, AnAbandonedRunPassesOnItsOriginalSettingsAndBackup) {
  RunRecord r = LastRun();
  r.abandoned = true;
  Inheritance in = InheritFromLastRun(r, "db2");
  EXPECT_EQ(in.from_run, "r1");
  EXPECT_TRUE(in.abandoned);
  ASSERT_TRUE(in.original.has_value());
  EXPECT_FALSE(in.original->target_read_only());
  EXPECT_EQ(in.original->carried_from_run(), "r1");
  EXPECT_EQ(in.backup_path, "/var/lib/mmresync/backups/r1.sql");
}

TEST(InheritFromLastRunTest, ARunStoppedAtItsFencePassesOnItsOriginalSettingsOnly) {
  RunRecord r = LastRun();
  r.records.clear();
  r.failed = true;
  r.no_data_changed = true;
  Inheritance in = InheritFromLastRun(r, "db2");
  EXPECT_EQ(in.from_run, "r1");
  EXPECT_FALSE(in.abandoned);
  ASSERT_TRUE(in.original.has_value());
  EXPECT_TRUE(in.backup_path.empty());
}

TEST(InheritFromLastRunTest, NothingFromAFinishedRunAnotherTargetOrNoRun) {
  RunRecord done = LastRun();
  done.finished = true;
  EXPECT_TRUE(InheritFromLastRun(done, "db2").from_run.empty());
  RunRecord abandoned = LastRun();
  abandoned.abandoned = true;
  EXPECT_TRUE(InheritFromLastRun(abandoned, "db1").from_run.empty());
  EXPECT_FALSE(InheritFromLastRun(abandoned, "db1").original.has_value());
  EXPECT_TRUE(InheritFromLastRun(std::nullopt, "db2").from_run.empty());
  RunRecord failed_later = LastRun();  // failed past the fence: it blocks, nothing inherited
  failed_later.failed = true;
  EXPECT_TRUE(InheritFromLastRun(failed_later, "db2").from_run.empty());
}

}  // namespace
}  // namespace mmresync::coordinator
