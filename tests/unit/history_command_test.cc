// `mmresync history`: what it says of each run the journal holds.

#include "coordinator/history_command.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;

RunRecord SampleRun(const std::string& id) {
  RunRecord r;
  r.run_id = id;
  r.source = "db1";
  r.target = "db2";
  r.started = absl::FromUnixSeconds(1764500000);
  r.last_record = r.started + absl::Seconds(72);
  r.coordinator.set_user("alice");
  r.coordinator.set_host("ops1");
  r.coordinator.set_id("c1");
  r.options = v1::RunOptions();
  r.options->set_method("auto");
  r.attempts = 1;
  return r;
}

TEST(HistoryCommandTest, OutcomeOfEachKindOfRun) {
  RunRecord r = SampleRun("r1");
  EXPECT_EQ(RunOutcome(r), "unfinished");
  r.failed = true;
  EXPECT_EQ(RunOutcome(r), "failed");
  r.interrupted = true;
  EXPECT_EQ(RunOutcome(r), "interrupted");
  r.abandoned = true;
  EXPECT_EQ(RunOutcome(r), "abandoned");
  RunRecord done = SampleRun("r2");
  done.finished = true;
  EXPECT_EQ(RunOutcome(done), "done");
  done.left_fenced = true;
  EXPECT_EQ(RunOutcome(done), "left-fenced");
}

TEST(HistoryCommandTest, JsonHasTypedNumbersAndTheMethodThatRan) {
  RunRecord r = SampleRun("20261130T133550-e0096e");
  r.finished = true;
  r.records["method"] = "logical";
  r.records["bytes"] = "1048576";
  const std::string json = RenderHistoryJson({r});
  EXPECT_THAT(json, HasSubstr("\"schema_version\":1,"));
  EXPECT_THAT(json, HasSubstr("\"run\":\"20261130T133550-e0096e\",\"user\":\"alice\","
                              "\"host\":\"ops1\",\"coordinator_id\":\"c1\""));
  EXPECT_THAT(json, HasSubstr("\"seconds\":72.000,"));
  EXPECT_THAT(json, HasSubstr("\"method\":\"logical\",\"bytes\":1048576,\"outcome\":\"done\""));
  EXPECT_THAT(json, HasSubstr("\"started\":\"2025-11-30T10:53:20.000Z\""));
}

TEST(HistoryCommandTest, TextNamesWhoWhenAndWhereItFailed) {
  RunRecord r = SampleRun("r1");
  r.failed = true;
  r.failed_step = "stream-import";
  const std::string text = RenderHistoryText({r});
  EXPECT_THAT(text, HasSubstr("r1"));
  EXPECT_THAT(text, HasSubstr("2025-11-30 10:53:20"));
  EXPECT_THAT(text, HasSubstr("alice@ops1"));
  EXPECT_THAT(text, HasSubstr("db1->db2"));
  EXPECT_THAT(text, HasSubstr("failed at stream-import"));
  EXPECT_EQ(RenderHistoryText({}), "no runs in the journal\n");
}

}  // namespace
}  // namespace mmresync::coordinator
