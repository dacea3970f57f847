#include "coordinator/executor.h"

#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "coordinator/journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::coordinator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using testing_util::TempDir;

// Records every call as "event:step[:detail]".
class FakeSink : public ProgressSink {
 public:
  void Header(const std::string& text) override { events.push_back("header:" + text); }
  void StepStarted(const StepInfo& step) override {
    events.push_back(absl::StrCat("start:", step.id, ":", step.index, "/", step.total));
  }
  void StepProgress(const StepInfo& step, const v1::Progress& p) override {
    events.push_back(absl::StrCat("progress:", step.id));
  }
  void StepNote(const StepInfo& step, const std::string& note) override {
    events.push_back(absl::StrCat("note:", step.id, ":", note));
  }
  void StepFinished(const StepInfo& step, bool ok, const std::string& detail,
                    absl::Duration took) override {
    events.push_back(absl::StrCat(ok ? "done:" : "failed:", step.id, ":", detail));
  }
  void StepSkipped(const StepInfo& step, const std::string& why) override {
    events.push_back(absl::StrCat("skipped:", step.id));
  }
  void Footer(bool ok, const std::string& text) override { events.push_back("footer:" + text); }
  std::vector<std::string> events;
};

std::vector<v1::JournalEntry> ReadJournal(const std::string& path) {
  std::vector<v1::JournalEntry> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    v1::JournalEntry e;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &e).ok()) << line;
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> Events(const std::vector<v1::JournalEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    out.push_back(e.step().empty() ? e.event() : absl::StrCat(e.event(), " ", e.step()));
  }
  return out;
}

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest() : journal_(Journal::PathFor(dir_.path(), "pair1"), "pair1", "run-1") {
    ctx_.run_id = "run-1";
    ctx_.sink = &sink_;
    ctx_.interrupted = &interrupted_;
  }

  // A step that logs its run and records `key`=`value`, failing with `fail` if not ok.
  Step MakeStep(const std::string& id, absl::Status fail = absl::OkStatus(), bool rerun = false) {
    Step s;
    s.id = id;
    s.title = "title " + id;
    s.node = "db2";
    s.actions = {"do " + id};
    s.rerun_on_resume = rerun;
    s.run = [this, id, fail](RunContext& ctx) -> absl::Status {
      ran_.push_back(id);
      ctx.records[id + "_key"] = id + "_value";
      ctx.Note("working on " + id);
      return fail;
    };
    return s;
  }

  void StartRun(const std::string& detail) {
    v1::JournalEntry start;
    start.set_event("run-start");
    start.set_source("db1");
    start.set_target("db2");
    start.set_detail(detail);
    ASSERT_TRUE(journal_.Append(start).ok());
  }

  TempDir dir_;
  Journal journal_;
  FakeSink sink_;
  std::atomic<bool> interrupted_{false};
  RunContext ctx_;
  std::vector<std::string> ran_;
};

TEST_F(ExecutorTest, RunsAllStepsInOrderAndJournalsThem) {
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b"), MakeStep("c")};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_, {});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_TRUE(out.failed_step.empty());
  EXPECT_THAT(out.completed, ElementsAre("a", "b", "c"));
  EXPECT_THAT(ran_, ElementsAre("a", "b", "c"));

  std::vector<v1::JournalEntry> j = ReadJournal(journal_.path());
  EXPECT_THAT(Events(j), ElementsAre("step-start a", "step-done a", "step-start b", "step-done b",
                                     "step-start c", "step-done c"));
  for (const auto& e : j) {
    EXPECT_EQ(e.run_id(), "run-1");
    EXPECT_EQ(e.cluster(), "pair1");
    EXPECT_EQ(e.node(), "db2");
    EXPECT_FALSE(e.time().empty());
  }
  // Each step-done carries everything recorded so far.
  EXPECT_THAT(j[1].records(), UnorderedElementsAre(Pair("a_key", "a_value")));
  EXPECT_THAT(j[5].records(),
              UnorderedElementsAre(Pair("a_key", "a_value"), Pair("b_key", "b_value"),
                                   Pair("c_key", "c_value")));
  EXPECT_THAT(j[1].detail(), HasSubstr("ok in"));

  EXPECT_THAT(sink_.events, ElementsAre("start:a:1/3", "note:a:working on a", "done:a:ok",
                                        "start:b:2/3", "note:b:working on b", "done:b:ok",
                                        "start:c:3/3", "note:c:working on c", "done:c:ok"));
}

TEST_F(ExecutorTest, StopsAtTheFirstFailure) {
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b", absl::InternalError("mariadb exited 1")),
                             MakeStep("c")};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_, {});
  EXPECT_TRUE(absl::IsInternal(out.status)) << out.status;
  EXPECT_EQ(out.failed_step, "b");
  EXPECT_THAT(out.completed, ElementsAre("a"));
  EXPECT_THAT(ran_, ElementsAre("a", "b"));

  std::vector<v1::JournalEntry> j = ReadJournal(journal_.path());
  EXPECT_THAT(Events(j),
              ElementsAre("step-start a", "step-done a", "step-start b", "step-failed b"));
  EXPECT_EQ(j[3].detail(), "mariadb exited 1");
  EXPECT_THAT(sink_.events, ::testing::Contains("failed:b:mariadb exited 1"));
}

// A step's precondition is checked after its start is journaled and before it runs, on
// every run: failing, the step fails as if it had run and failed, and does not run.
TEST_F(ExecutorTest, AFailedPreconditionFailsTheStepWithoutRunningIt) {
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b"), MakeStep("c")};
  steps[1].precondition = [](const RunContext& ctx) -> absl::Status {
    if (ctx.records.count("a_key")) {
      return absl::FailedPreconditionError("no snapshot coordinates recorded");
    }
    return absl::OkStatus();
  };
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(out.status)) << out.status;
  EXPECT_EQ(out.failed_step, "b");
  EXPECT_THAT(ran_, ElementsAre("a"));
  std::vector<v1::JournalEntry> j = ReadJournal(journal_.path());
  EXPECT_THAT(Events(j),
              ElementsAre("step-start a", "step-done a", "step-start b", "step-failed b"));
  EXPECT_EQ(j[3].detail(), "no snapshot coordinates recorded");
}

TEST_F(ExecutorTest, ReadLastRunReconstructsDoneStepsAndRecords) {
  StartRun("new");
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b"),
                             MakeStep("c", absl::DataLossError("cut"))};
  ExecutePlan(steps, ctx_, journal_, {});

  auto last = ReadLastRun(journal_.path());
  ASSERT_TRUE(last.ok()) << last.status();
  ASSERT_TRUE(last->has_value());
  const RunRecord& run = **last;
  EXPECT_EQ(run.run_id, "run-1");
  EXPECT_EQ(run.source, "db1");
  EXPECT_EQ(run.target, "db2");
  EXPECT_FALSE(run.finished);
  EXPECT_THAT(run.done_steps, ElementsAre("a", "b"));
  // Records of done steps only... and what the failed step recorded before failing is
  // not trusted.
  EXPECT_THAT(run.records,
              UnorderedElementsAre(Pair("a_key", "a_value"), Pair("b_key", "b_value")));
}

TEST_F(ExecutorTest, ReadLastRunOfAMissingJournalIsNothing) {
  auto last = ReadLastRun(dir_.File("nope.jsonl"));
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
}

TEST_F(ExecutorTest, ReadLastRunRejectsAGarbledLine) {
  StartRun("new");
  std::ofstream(journal_.path(), std::ios::app) << "{not json\n";
  auto last = ReadLastRun(journal_.path());
  EXPECT_TRUE(absl::IsDataLoss(last.status())) << last.status();
}

TEST_F(ExecutorTest, ReadLastRunTakesTheLastRun) {
  StartRun("new");
  std::vector<Step> first = {MakeStep("a")};
  ExecutePlan(first, ctx_, journal_, {});
  v1::JournalEntry done;
  done.set_event("run-done");
  ASSERT_TRUE(journal_.Append(done).ok());

  Journal second(journal_.path(), "pair1", "run-2");
  v1::JournalEntry start;
  start.set_event("run-start");
  start.set_source("db2");
  start.set_target("db1");
  ASSERT_TRUE(second.Append(start).ok());
  RunContext ctx2;
  ctx2.run_id = "run-2";
  ctx2.sink = &sink_;
  std::vector<Step> steps = {MakeStep("x")};
  ExecutePlan(steps, ctx2, second, {});

  auto last = ReadLastRun(journal_.path());
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->run_id, "run-2");
  EXPECT_EQ((*last)->source, "db2");
  EXPECT_FALSE((*last)->finished);
  EXPECT_THAT((*last)->done_steps, ElementsAre("x"));
  EXPECT_THAT((*last)->records, UnorderedElementsAre(Pair("x_key", "x_value")));
}

TEST_F(ExecutorTest, ResumeSkipsDoneStepsExceptRerunOnes) {
  std::vector<Step> steps = {MakeStep("fence", absl::OkStatus(), /*rerun=*/true),
                             MakeStep("import"), MakeStep("phase1")};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_, {"fence", "import"});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_THAT(ran_, ElementsAre("fence", "phase1"));
  EXPECT_THAT(out.completed, ElementsAre("fence", "import", "phase1"));
  EXPECT_THAT(sink_.events, ::testing::Contains("skipped:import"));
  EXPECT_THAT(
      Events(ReadJournal(journal_.path())),
      ElementsAre("step-start fence", "step-done fence", "step-start phase1", "step-done phase1"));
}

// A run that failed after phase1 must not get its stop-replication (RESET SLAVE on the
// target) again on resume: that would throw away the replica phase1 set up, and phase1
// itself is skipped as done.
TEST_F(ExecutorTest, ResumeDoesNotRerunAStepALaterDoneStepSuperseded) {
  std::vector<Step> steps = {MakeStep("fence", absl::OkStatus(), /*rerun=*/true),
                             MakeStep("stop-replication", absl::OkStatus(), /*rerun=*/true),
                             MakeStep("import"),
                             MakeStep("phase1"),
                             MakeStep("phase2"),
                             MakeStep("unfence", absl::OkStatus(), /*rerun=*/true)};
  steps[1].superseded_by = {"phase1"};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_,
                                     {"fence", "stop-replication", "import", "phase1", "phase2"});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_THAT(ran_, ElementsAre("fence", "unfence"));
  EXPECT_THAT(sink_.events, ::testing::Contains("skipped:stop-replication"));

  // Before phase1 finished, it is re-run as before.
  ran_.clear();
  out = ExecutePlan(steps, ctx_, journal_, {"fence", "stop-replication", "import"});
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_THAT(ran_, ElementsAre("fence", "stop-replication", "phase1", "phase2", "unfence"));
}

TEST_F(ExecutorTest, InterruptedBeforeTheFirstStepRunsNothing) {
  interrupted_ = true;
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b")};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_, {});
  EXPECT_TRUE(absl::IsCancelled(out.status)) << out.status;
  EXPECT_TRUE(out.interrupted);
  EXPECT_THAT(std::string(out.status.message()), HasSubstr("interrupted by the operator"));
  EXPECT_EQ(out.failed_step, "a");
  EXPECT_THAT(ran_, IsEmpty());
  EXPECT_THAT(out.completed, IsEmpty());
  EXPECT_THAT(ReadJournal(journal_.path()), IsEmpty());
}

TEST_F(ExecutorTest, InterruptDuringAStepStopsBeforeTheNext) {
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b"), MakeStep("c")};
  steps[1].run = [this](RunContext& ctx) -> absl::Status {
    ran_.push_back("b");
    ctx.records["b_key"] = "b_value";
    interrupted_ = true;  // Ctrl-C while b runs; b still finishes
    return absl::OkStatus();
  };
  ExecutionOutcome out = ExecutePlan(steps, ctx_, journal_, {});
  EXPECT_TRUE(absl::IsCancelled(out.status)) << out.status;
  EXPECT_EQ(out.failed_step, "c");
  EXPECT_THAT(ran_, ElementsAre("a", "b"));
  EXPECT_THAT(out.completed, ElementsAre("a", "b"));
  EXPECT_THAT(Events(ReadJournal(journal_.path())),
              ElementsAre("step-start a", "step-done a", "step-start b", "step-done b"));
}

// The journal is the commit point: a step whose "done" cannot be written stops the run
// there (the next step never runs), and the outcome says which step and why.
TEST_F(ExecutorTest, AStepDoneThatCannotBeJournaledStopsTheRun) {
  int writes = 0;
  Journal failing(journal_.path(), "pair1", "run-1",
                  [&](const std::string& path, absl::string_view line) -> absl::Status {
                    // step-start a, step-done a, step-start b, then step-done b fails.
                    if (++writes == 4) return absl::ResourceExhaustedError("disk full");
                    return AppendLineDurably(path, line);
                  });
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b"), MakeStep("c")};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, failing, {});
  EXPECT_TRUE(absl::IsDataLoss(out.status)) << out.status;
  EXPECT_TRUE(out.journal_failed);
  EXPECT_EQ(out.failed_step, "b");
  EXPECT_THAT(std::string(out.status.message()), HasSubstr("step b finished"));
  EXPECT_THAT(std::string(out.status.message()), HasSubstr("disk full"));
  EXPECT_THAT(ran_, ElementsAre("a", "b"));
  EXPECT_THAT(out.completed, ElementsAre("a"));
  EXPECT_THAT(Events(ReadJournal(journal_.path())),
              ElementsAre("step-start a", "step-done a", "step-start b"));
}

TEST_F(ExecutorTest, AStepStartThatCannotBeJournaledRunsNothing) {
  Journal failing(journal_.path(), "pair1", "run-1",
                  [&](const std::string&, absl::string_view) -> absl::Status {
                    return absl::PermissionDeniedError("read-only file system");
                  });
  std::vector<Step> steps = {MakeStep("a"), MakeStep("b")};
  ExecutionOutcome out = ExecutePlan(steps, ctx_, failing, {});
  EXPECT_TRUE(absl::IsDataLoss(out.status)) << out.status;
  EXPECT_TRUE(out.journal_failed);
  EXPECT_EQ(out.failed_step, "a");
  EXPECT_THAT(ran_, IsEmpty());
}

// recover --resume writes a new run-start for the same run id each time. Steps skipped
// as done are not journaled again, so the journal must still count them as done after
// a second interruption: otherwise a second resume re-runs the backup (overwriting the
// target's pre-recovery backup, <state_dir>/backups/<run>.sql, with the imported data)
// and the whole import.
TEST_F(ExecutorTest, SecondResumeStillKnowsStepsDoneInTheFirstAttempt) {
  auto plan = [&] {
    return std::vector<Step>{
        MakeStep("fence", absl::OkStatus(), true), MakeStep("backup"), MakeStep("import"),
        MakeStep("phase1", absl::DeadlineExceededError("replica not running"))};
  };
  // Attempt 1: fence, backup, import done; phase1 fails.
  StartRun("new");
  std::vector<Step> steps = plan();
  ExecutePlan(steps, ctx_, journal_, {});

  // Attempt 2 (resume): phase1 fails again.
  auto last = ReadLastRun(journal_.path());
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_THAT((*last)->done_steps, ElementsAre("fence", "backup", "import"));
  StartRun("resume");
  ran_.clear();
  ctx_.records = (*last)->records;
  std::set<std::string> done((*last)->done_steps.begin(), (*last)->done_steps.end());
  steps = plan();
  ExecutePlan(steps, ctx_, journal_, done);
  EXPECT_THAT(ran_, ElementsAre("fence", "phase1"));

  // Attempt 3 (resume again): backup and import are still done.
  last = ReadLastRun(journal_.path());
  ASSERT_TRUE(last.ok() && last->has_value());
  const RunRecord& run = **last;
  EXPECT_EQ(run.run_id, "run-1");
  EXPECT_FALSE(run.finished);
  std::set<std::string> done_now(run.done_steps.begin(), run.done_steps.end());
  EXPECT_THAT(done_now, UnorderedElementsAre("fence", "backup", "import"));
  EXPECT_EQ(run.records.count("import_key"), 1u);
  ran_.clear();
  ctx_.records = run.records;
  steps = plan();
  ExecutePlan(steps, ctx_, journal_, done_now);
  EXPECT_THAT(ran_, ElementsAre("fence", "phase1"));
}

}  // namespace
}  // namespace mmresync::coordinator
