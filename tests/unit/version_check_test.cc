#include "coordinator/version_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

PairView View(const std::string& a, const std::string& b) {
  PairView view;
  view.nodes[0].entry.name = "db1";
  view.nodes[1].entry.name = "db2";
  v1::NodeStatus sa, sb;
  sa.set_agent_version(a);
  sb.set_agent_version(b);
  view.nodes[0].status = sa;
  view.nodes[1].status = sb;
  return view;
}

TEST(VersionCheckTest, SameEverywhereIsQuiet) {
  EXPECT_THAT(VersionWarnings(View("0.1.0", "0.1.0"), "0.1.0"), IsEmpty());
}

TEST(VersionCheckTest, AgentsDifferingFromEachOtherAndTheCoordinator) {
  std::vector<std::string> w = VersionWarnings(View("0.1.0", "0.2.0"), "0.1.0");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], "the agents run different versions: db1 0.1.0, db2 0.2.0");
  EXPECT_EQ(w[1], "db2's agent runs 0.2.0, this mmresync 0.1.0");
}

TEST(VersionCheckTest, BothAgentsNewerThanTheCoordinator) {
  EXPECT_THAT(
      VersionWarnings(View("0.2.0", "0.2.0"), "0.1.0"),
      ElementsAre(HasSubstr("db1's agent runs 0.2.0"), HasSubstr("db2's agent runs 0.2.0")));
}

TEST(VersionCheckTest, AnOlderAgentWithoutTheFieldAndAnUnreachableOne) {
  PairView view = View("", "0.1.0");
  EXPECT_THAT(VersionWarnings(view, "0.1.0"),
              ElementsAre(HasSubstr("db1 (no version: an older agent), db2 0.1.0"),
                          HasSubstr("db1's agent runs (no version")));
  view.nodes[0].status = absl::UnavailableError("down");
  EXPECT_THAT(VersionWarnings(view, "0.1.0"), IsEmpty());
}

}  // namespace
}  // namespace mmresync::coordinator
