#include "coordinator/plan_json.h"
#include "coordinator/json_text.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

TEST(PlanJsonTest, StepsAsObjectsWithNodesApart) {
  std::vector<Step> steps(2);
  steps[0].id = "fence-target";
  steps[0].title = "fence target";
  steps[0].node = "db2";
  steps[0].actions = {"keepalived stop", "SET GLOBAL read_only = ON"};
  steps[1].id = "stream-import";
  steps[1].title = "snapshot+stream+import";
  steps[1].node = "db1 → db2";
  std::string json = RenderPlanJson({"itest", "db1", "db2", "holds the VIP", "auto", "r1", "delta",
                                     "the target has 2 of the source's 3 table(s)"},
                                    steps, {"fence-target"});
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.fields().at("source").string_value(), "db1");
  EXPECT_EQ(parsed.fields().at("target").string_value(), "db2");
  EXPECT_EQ(parsed.fields().at("resume_run").string_value(), "r1");
  // What auto chose, and why.
  EXPECT_EQ(parsed.fields().at("method").string_value(), "auto");
  EXPECT_EQ(parsed.fields().at("method_chosen").string_value(), "delta");
  EXPECT_EQ(parsed.fields().at("method_reason").string_value(),
            "the target has 2 of the source's 3 table(s)");
  EXPECT_FALSE(parsed.fields().at("version").string_value().empty());
  EXPECT_EQ(parsed.fields().at("schema_version").number_value(), kJsonSchemaVersion);
  const auto& list = parsed.fields().at("steps").list_value().values();
  ASSERT_EQ(list.size(), 2);
  const auto& first = list[0].struct_value().fields();
  EXPECT_EQ(first.at("index").number_value(), 1);
  EXPECT_TRUE(first.at("skipped_on_resume").bool_value());
  EXPECT_EQ(first.at("actions").list_value().values(1).string_value(), "SET GLOBAL read_only = ON");
  const auto& second = list[1].struct_value().fields();
  EXPECT_FALSE(second.at("skipped_on_resume").bool_value());
  EXPECT_EQ(second.at("nodes").list_value().values_size(), 2);
  EXPECT_EQ(second.at("nodes").list_value().values(1).string_value(), "db2");
}

}  // namespace
}  // namespace mmresync::coordinator
