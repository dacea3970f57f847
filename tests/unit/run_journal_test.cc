// The journal as the record of a run: what a resume and `status` read back from it.

#include <string>

#include "coordinator/journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::coordinator {
namespace {

using ::testing::ElementsAre;
using testing_util::TempDir;

class RunJournalTest : public ::testing::Test {
 protected:
  void Append(const std::string& run, v1::JournalEntry e) {
    Journal j(path_, "pair1", run);
    ASSERT_TRUE(j.Append(std::move(e)).ok());
  }
  v1::JournalEntry Start(bool read_only, const std::string& method) {
    v1::JournalEntry e;
    e.set_event("run-start");
    e.set_source("db1");
    e.set_target("db2");
    e.mutable_options()->set_method(method);
    e.mutable_options()->set_skip_backup(true);
    e.mutable_original()->set_target_read_only(read_only);
    e.mutable_original()->set_target_keepalived_running(true);
    e.add_plan("fence-target");
    e.add_plan("stream-import");
    e.mutable_coordinator()->set_id("c1");
    return e;
  }
  v1::JournalEntry Event(const std::string& event, const std::string& step = "") {
    v1::JournalEntry e;
    e.set_event(event);
    e.set_step(step);
    return e;
  }
  RunRecord Last() {
    auto r = ReadLastRun(path_);
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r.ok() && r->has_value());
    return r.ok() && r->has_value() ? **r : RunRecord{};
  }

  TempDir dir_;
  std::string path_ = Journal::PathFor(dir_.path(), "pair1");
};

// A resume writes its own run-start (without options or original settings, and the
// target then fenced): the run keeps those of its first start.
TEST_F(RunJournalTest, OptionsAndOriginalSettingsComeFromTheFirstStart) {
  Append("r1", Start(/*read_only=*/false, "logical"));
  Append("r1", Event("step-start", "fence-target"));
  Append("r1", Event("step-done", "fence-target"));
  Append("r1", Event("step-start", "stream-import"));
  Append("r1", Event("run-interrupted", "stream-import"));
  v1::JournalEntry resume = Start(/*read_only=*/true, "dump");
  resume.mutable_coordinator()->set_id("c2");
  Append("r1", resume);
  RunRecord r = Last();
  ASSERT_TRUE(r.options.has_value());
  EXPECT_EQ(r.options->method(), "logical");
  ASSERT_TRUE(r.original.has_value());
  EXPECT_FALSE(r.original->target_read_only());
  EXPECT_THAT(r.plan, ElementsAre("fence-target", "stream-import"));
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.coordinator.id(), "c2");
  EXPECT_THAT(r.done_steps, ElementsAre("fence-target"));
  EXPECT_FALSE(r.failed);
  EXPECT_TRUE(r.unfinished());
  EXPECT_NE(r.started, absl::InfinitePast());
}

TEST_F(RunJournalTest, TheStepARunStandsAt) {
  Append("r1", Start(false, "auto"));
  Append("r1", Event("step-start", "fence-target"));
  EXPECT_EQ(Last().at_step(), "fence-target");  // killed mid-step: no end record
  Append("r1", Event("step-done", "fence-target"));
  Append("r1", Event("step-start", "stream-import"));
  Append("r1", Event("step-failed", "stream-import"));
  Append("r1", Event("run-interrupted", "stream-import"));
  RunRecord r = Last();
  EXPECT_EQ(r.at_step(), "stream-import");
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(r.failed);
  EXPECT_TRUE(r.blocks_new_run());
}

TEST_F(RunJournalTest, AnAbandonedRunIsNeitherResumedNorBlocking) {
  Append("r1", Start(false, "auto"));
  Append("r1", Event("step-done", "fence-target"));
  Append("r1", Event("run-failed", "stream-import"));
  EXPECT_TRUE(Last().blocks_new_run());
  Append("r1", Event("run-abandoned", "stream-import"));
  RunRecord r = Last();
  EXPECT_TRUE(r.abandoned);
  EXPECT_FALSE(r.unfinished());
  EXPECT_FALSE(r.blocks_new_run());
}

// A run that stopped at the fence (keepalived would not stop, the VIP would not leave)
// changed no data and no replication: a new run may start over it.
TEST_F(RunJournalTest, ARunThatStoppedAtTheFenceDoesNotBlockANewOne) {
  Append("r1", Start(false, "auto"));
  Append("r1", Event("step-start", "fence-target"));
  Append("r1", Event("step-failed", "fence-target"));
  v1::JournalEntry failed = Event("run-failed", "fence-target");
  failed.set_no_data_changed(true);
  Append("r1", failed);
  RunRecord r = Last();
  EXPECT_TRUE(r.unfinished());  // --resume may still continue it
  EXPECT_FALSE(r.blocks_new_run());
  ASSERT_TRUE(r.original.has_value());  // what a new run takes as the settings before
}

// A resumed run re-runs the fence first: failing there again says nothing about what
// its earlier attempts did.
TEST_F(RunJournalTest, AResumedRunFailingAtTheFenceStillBlocks) {
  Append("r1", Start(false, "auto"));
  Append("r1", Event("step-done", "fence-target"));
  Append("r1", Event("step-done", "stop-replication"));
  Append("r1", Event("run-failed", "stream-import"));
  Append("r1", Start(true, "auto"));
  v1::JournalEntry failed = Event("run-failed", "fence-target");
  failed.set_no_data_changed(true);
  Append("r1", failed);
  EXPECT_TRUE(Last().blocks_new_run());
}

// A journal written before run-start carried options: still read, without them.
TEST_F(RunJournalTest, OldJournalLinesWithoutTheNewFieldsAreRead) {
  v1::JournalEntry old;
  old.set_event("run-start");
  old.set_source("db1");
  old.set_target("db2");
  Append("r0", old);
  Append("r0", Event("step-done", "fence-target"));
  RunRecord r = Last();
  EXPECT_EQ(r.run_id, "r0");
  EXPECT_FALSE(r.options.has_value());
  EXPECT_FALSE(r.original.has_value());
  EXPECT_TRUE(r.blocks_new_run());
}

// `backups restore` ends with its node fenced on purpose: a finished run, not resumable,
// not blocking, whose original settings the next recover of that node takes over.
TEST_F(RunJournalTest, ARestoreLeftFencedIsFinishedAndKeepsItsOriginalSettings) {
  Append("restore-1", Start(false, ""));
  Append("restore-1", Event("step-done", "fence-target"));
  Append("restore-1", Event("step-done", "restore"));
  Append("restore-1", Event("run-left-fenced"));
  RunRecord r = Last();
  EXPECT_TRUE(r.left_fenced);
  EXPECT_TRUE(r.finished);
  EXPECT_FALSE(r.unfinished());
  EXPECT_FALSE(r.blocks_new_run());
  ASSERT_TRUE(r.original.has_value());
  EXPECT_FALSE(r.original->target_read_only());
}

TEST_F(RunJournalTest, EveryRunIsReadOldestFirstWithOneRunsRecords) {
  Append("r1", Start(false, "auto"));
  Append("r1", Event("run-done"));
  Append("r2", Start(false, "dump"));
  Append("r2", Event("step-done", "fence-target"));
  Append("r2", Event("run-failed", "stream-import"));
  std::vector<v1::JournalEntry> entries;
  auto runs = ReadRuns(path_, &entries, "r2");
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, "r1");
  EXPECT_TRUE((*runs)[0].finished);
  EXPECT_EQ((*runs)[1].run_id, "r2");
  EXPECT_TRUE((*runs)[1].failed);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].event(), "run-failed");
}

}  // namespace
}  // namespace mmresync::coordinator
