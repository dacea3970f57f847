// Untrusted text is inert (issue 11, item 5) on real processes: a schema name holding
// terminal escape sequences and a newline is printed escaped by `plan` and `recover`, and
// never reaches an agent's log raw.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "gtest/gtest.h"
#include "tests/harness/recovery_cluster.h"

namespace mmresync::testing {
namespace {

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status assert_ok_status_ = (expr);          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (0)

constexpr int kDb1 = 0;
// Clears the screen, sets the window title, and starts a forged line.
const char kEvilSchema[] = "evil\x1b[2J\x1b]0;pwned\x07\nINFO forged";
const char kEscapedSchema[] = "evil\\x1b[2J\\x1b]0;pwned\\x07\\x0aINFO forged";

bool HasRawControl(const std::string& text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

TEST(UntrustedTextTest, SchemaNameWithEscapesIsPrintedEscaped) {
  RecoveryClusterOptions options;
  options.fake_keepalived = true;
  auto cluster = RecoveryCluster::Start(options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  RecoveryCluster& c = **cluster;
  const std::string quoted = absl::StrCat("`", kEvilSchema, "`");
  ASSERT_OK(c.pair().Exec(kDb1, absl::StrCat("CREATE DATABASE ", quoted)));
  ASSERT_OK(c.pair().Exec(kDb1, absl::StrCat("CREATE TABLE ", quoted, ".t (id INT PRIMARY KEY)")));
  ASSERT_OK(c.pair().Exec(kDb1, absl::StrCat("INSERT INTO ", quoted, ".t VALUES (1)")));
  ASSERT_OK(c.pair().WaitInSync(absl::Seconds(60)));

  auto plan = c.Cli({"plan", "--source", "db1", "--force"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->exit_code, 0) << plan->Describe();
  EXPECT_TRUE(absl::StrContains(plan->out, kEscapedSchema)) << plan->Describe();
  EXPECT_FALSE(HasRawControl(plan->output())) << plan->Describe();

  auto recover = c.Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_TRUE(recover.ok()) << recover.status();
  EXPECT_EQ(recover->exit_code, 0) << recover->Describe();
  EXPECT_FALSE(HasRawControl(recover->output())) << recover->Describe();
  ASSERT_OK(c.CheckHealthy());
  for (int node : {0, 1}) {
    auto log = ReadFileToString(c.agent(node).log_path());
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_FALSE(HasRawControl(*log)) << c.agent(node).log_path();
    EXPECT_FALSE(absl::StrContains(*log, "\nINFO forged")) << c.agent(node).log_path();
  }
}

}  // namespace
}  // namespace mmresync::testing
