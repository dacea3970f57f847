#include "common/tool_argv.h"

#include "gtest/gtest.h"

namespace mmresync {
namespace {

// The plan's argv lines: placeholders as they are, anything a shell would split or expand
// single-quoted, a quote inside closed and escaped.
TEST(ArgvTextTest, QuotesWhatAShellWouldReadDifferently) {
  EXPECT_EQ(ArgvText({"mbstream", "-x", "-C", "<datadir>.mmresync-new-<run>"}),
            "mbstream -x -C <datadir>.mmresync-new-<run>");
  EXPECT_EQ(ArgvText({"mariadb", "--init-command=SET SESSION sql_log_bin=0"}),
            "mariadb '--init-command=SET SESSION sql_log_bin=0'");
  EXPECT_EQ(ArgvText({"/bin/sh", "-c", "echo it's; rm x"}), "/bin/sh -c 'echo it'\\''s; rm x'");
  EXPECT_EQ(ArgvText({"a", ""}), "a ''");
}

// mbstream never extracts with one thread alone, which throttles the whole pipe.
TEST(ExtractArgvTest, ExtractsWithAtLeastTwoThreads) {
  EXPECT_EQ(ArgvText(ExtractArgv("mbstream", 0, "/d/new")), "mbstream -x --parallel=2 -C /d/new");
  EXPECT_EQ(ArgvText(ExtractArgv("mbstream", 1, "/d/new")), "mbstream -x --parallel=2 -C /d/new");
  EXPECT_EQ(ArgvText(ExtractArgv("mbstream", 6, "/d/new")), "mbstream -x --parallel=6 -C /d/new");
}

}  // namespace
}  // namespace mmresync
