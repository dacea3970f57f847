// recover --json, line by line, parsed as JSON: every event has a timestamp and the run
// id, numbers are numbers, a two-node step lists its nodes apart, the last line has a
// result object.

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "coordinator/json_text.h"
#include "coordinator/progress.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

std::vector<Struct> Lines(const std::function<void(ProgressSink&)>& emit) {
  FILE* f = std::tmpfile();
  {
    auto sink = MakeJsonProgress(f, "20261130T140000-abcdef",
                                 [] { return absl::FromUnixMillis(1796047200123); });
    emit(*sink);
  }
  std::rewind(f);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  std::vector<Struct> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    Struct s;
    auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &s);
    EXPECT_TRUE(status.ok()) << line;
    out.push_back(s);
  }
  return out;
}

TEST(JsonProgressTest, EventsAreTypedStampedAndNamed) {
  StepInfo step{4, 9, "stream-import", "snapshot+stream+import", "db1 → db2"};
  std::vector<Struct> lines = Lines([&](ProgressSink& s) {
    s.Header("recover itest");
    s.StepStarted(step);
    s.StepFinished(step, true, "imported", absl::Milliseconds(1194));
    s.Footer(true, "recovered");
  });
  ASSERT_EQ(lines.size(), 4u);
  for (const Struct& l : lines) {
    EXPECT_EQ(l.fields().at("ts").string_value(), "2026-11-30T14:00:00.123Z");
    EXPECT_EQ(l.fields().at("run").string_value(), "20261130T140000-abcdef");
    // Every event line names the documented schema (README, "JSON output").
    EXPECT_EQ(l.fields().at("schema_version").number_value(), kJsonSchemaVersion);
  }
  EXPECT_FALSE(lines[0].fields().at("version").string_value().empty());
  const Struct& done = lines[2];
  EXPECT_EQ(done.fields().at("event").string_value(), "step-done");
  EXPECT_EQ(done.fields().at("seconds").kind_case(), Value::kNumberValue);
  EXPECT_DOUBLE_EQ(done.fields().at("seconds").number_value(), 1.194);
  EXPECT_EQ(done.fields().at("index").kind_case(), Value::kNumberValue);
  const auto& nodes = done.fields().at("nodes").list_value().values();
  ASSERT_EQ(nodes.size(), 2);
  EXPECT_EQ(nodes[0].string_value(), "db1");
  EXPECT_EQ(nodes[1].string_value(), "db2");
  const Struct& result = lines[3].fields().at("result").struct_value();
  EXPECT_TRUE(result.fields().at("ok").bool_value());
  EXPECT_EQ(result.fields().at("run").string_value(), "20261130T140000-abcdef");
  EXPECT_EQ(result.fields().at("text").string_value(), "recovered");
}

TEST(JsonProgressTest, FailedRunResultIsNotOk) {
  std::vector<Struct> lines = Lines([](ProgressSink& s) { s.Footer(false, "fence failed"); });
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].fields().at("event").string_value(), "run-failed");
  EXPECT_FALSE(lines[0].fields().at("result").struct_value().fields().at("ok").bool_value());
}

}  // namespace
}  // namespace mmresync::coordinator
