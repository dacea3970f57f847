#include "coordinator/run_options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;

v1::RunOptions Recorded() {
  v1::RunOptions r;
  r.set_method("logical");
  r.set_skip_backup(false);
  r.set_discard_target_writes(false);
  r.set_backup("dump");
  r.set_workers(4);
  r.set_compression("3");
  return r;
}

TEST(RunOptionsTest, ResumeUsesTheRecordedOptionsWhateverIsGivenNow) {
  RecoverOptions now;  // defaults: auto, park, no skip
  now.replica_wait = absl::Seconds(7);
  RecoverOptions used = WithRecorded(now, Recorded());
  EXPECT_EQ(used.method, "logical");
  EXPECT_EQ(used.backup, "dump");
  EXPECT_EQ(used.workers, 4u);
  EXPECT_FALSE(used.skip_backup);
  EXPECT_EQ(used.replica_wait, absl::Seconds(7));
  EXPECT_EQ(used.compression, "3") << "kept as recorded when not given";
  EXPECT_EQ(ToRecord(used).SerializeAsString(), Recorded().SerializeAsString());
}

TEST(RunOptionsTest, AnAutoRunsChoiceIsRecordedAndKeptOnResume) {
  MethodChoice chose;
  chose.requested = "auto";
  chose.method = "delta";
  chose.expected = "delta";
  chose.reason = "the target has 3 of 3 tables";
  v1::RunOptions record;
  record.set_method("auto");
  RecordChoice(chose, &record);
  std::optional<MethodChoice> kept = RecordedChoice(record);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->requested, "auto");
  EXPECT_EQ(kept->method, "delta");
  EXPECT_EQ(kept->expected, "delta");
  EXPECT_THAT(kept->reason, HasSubstr("kept from the run's start: the target has 3 of 3"));

  // A re-seed auto chose stays "auto" for the agent (it may still fall back to dump).
  chose.method = "auto";
  chose.expected = "logical";
  RecordChoice(chose, &record);
  kept = RecordedChoice(record);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->method, "auto");
  EXPECT_EQ(kept->expected, "logical");
}

TEST(RunOptionsTest, AMethodAskedForByNameOrAnOlderRecordIsChosenAgain) {
  MethodChoice asked;
  asked.requested = "delta";
  asked.method = asked.expected = "delta";
  v1::RunOptions record;
  record.set_method("delta");
  RecordChoice(asked, &record);
  EXPECT_TRUE(record.method_chosen().empty());
  EXPECT_FALSE(RecordedChoice(record).has_value());
  v1::RunOptions older;
  older.set_method("auto");
  EXPECT_FALSE(RecordedChoice(older).has_value());
}

TEST(RunOptionsTest, CompressionGivenOnResumeReplacesTheRecordedOne) {
  RecoverOptions now;
  now.compression = "none";
  now.compression_given = true;
  RecoverOptions used = WithRecorded(now, Recorded());
  EXPECT_EQ(used.compression, "none");
  // It changes how bytes move, never what arrives: not a refused option change.
  EXPECT_TRUE(CheckResumeOptions("r1", Recorded(), now, {"--compression"}).ok());
}

TEST(RunOptionsTest, TheSameOptionsGivenAgainAreAccepted) {
  RecoverOptions now = WithRecorded(RecoverOptions{}, Recorded());
  EXPECT_TRUE(CheckResumeOptions("r1", Recorded(), now,
                                 {"--method", "--backup", "--workers", "--skip-backup"})
                  .ok());
  // Not given: whatever the defaults are, nothing is compared.
  EXPECT_TRUE(CheckResumeOptions("r1", Recorded(), RecoverOptions{}, {}).ok());
}

TEST(RunOptionsTest, EachChangeOfAStartedRunIsRefusedAndNamed) {
  struct Case {
    const char* flag;
    void (*change)(RecoverOptions&);
    const char* said;
  };
  const Case cases[] = {
      {"--skip-backup", [](RecoverOptions& o) { o.skip_backup = true; }, "--skip-backup"},
      {"--discard-target-writes", [](RecoverOptions& o) { o.discard_target_writes = true; },
       "--discard-target-writes"},
      {"--method", [](RecoverOptions& o) { o.method = "dump"; },
       "--method dump (the run uses logical)"},
      {"--backup", [](RecoverOptions& o) { o.backup = "park"; },
       "--backup park (the run uses dump)"},
      {"--workers", [](RecoverOptions& o) { o.workers = 2; }, "--workers 2 (the run uses 4)"},
  };
  for (const Case& c : cases) {
    RecoverOptions now = WithRecorded(RecoverOptions{}, Recorded());
    c.change(now);
    absl::Status s = CheckResumeOptions("r1", Recorded(), now, {c.flag});
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << c.flag << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.said)) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("run r1")) << s;
  }
}

}  // namespace
}  // namespace mmresync::coordinator
