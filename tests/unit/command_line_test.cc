// The command line of `mmresync`: unknown names get the closest valid one, `help` works,
// every command's --help carries an example, --version prints the build's version.

#include "common/command_line.h"

#include <functional>

#include "common/version.h"
#include "coordinator/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(EditDistanceTest, CountsEdits) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("status", "status"), 0u);
  EXPECT_EQ(EditDistance("statsu", "status"), 2u);
  EXPECT_EQ(EditDistance("--jsn", "--json"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(NearestTest, PicksTheClosestOrNothing) {
  std::vector<std::string> names{"status", "plan", "recover", "verify"};
  EXPECT_EQ(Nearest("recovr", names), "recover");
  EXPECT_EQ(Nearest("stauts", names), "status");
  EXPECT_EQ(Nearest("xyzzyq", names), std::nullopt);
  EXPECT_EQ(Nearest("a", {}), std::nullopt);
}

// Parses `words` with the real command tree; the error text, or "" when it parsed.
struct Parsed {
  std::optional<int> exit;
  std::string error;
};

Parsed Parse(std::vector<std::string> words) {
  coordinator::CliArgs args;
  std::unique_ptr<CLI::App> app = coordinator::BuildCli(&args);
  words.insert(words.begin(), "mmresync");
  std::vector<const char*> argv;
  for (const std::string& w : words) argv.push_back(w.c_str());
  std::FILE* err = std::tmpfile();
  std::FILE* out = std::tmpfile();
  Parsed parsed;
  parsed.exit = ParseCommandLine(*app, static_cast<int>(argv.size()), argv.data(), 2, out, err);
  std::rewind(err);
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof(buf), err);
  parsed.error.assign(buf, n);
  std::fclose(err);
  std::fclose(out);
  return parsed;
}

TEST(CommandLineTest, UnknownCommandNamesTheClosest) {
  Parsed p = Parse({"statsu"});
  EXPECT_EQ(p.exit, 2);
  EXPECT_THAT(p.error, HasSubstr("unknown command \"statsu\" (did you mean status?)"));
  EXPECT_THAT(p.error,
              HasSubstr("commands: status, plan, recover, verify, history, backups, certs, help"));
}

TEST(CommandLineTest, FarOffCommandListsTheCommandsWithoutAGuess) {
  Parsed p = Parse({"frobnicate"});
  EXPECT_EQ(p.exit, 2);
  EXPECT_THAT(p.error, HasSubstr("unknown command \"frobnicate\"; commands: status"));
  EXPECT_THAT(p.error, Not(HasSubstr("did you mean")));
}

TEST(CommandLineTest, UnknownFlagNamesTheClosestOfThatCommand) {
  Parsed p = Parse({"status", "--jsn"});
  EXPECT_EQ(p.exit, 2);
  EXPECT_THAT(p.error, HasSubstr("mmresync status: unknown flag --jsn (did you mean --json?)"));
  p = Parse({"recover", "--sourse=db1"});
  EXPECT_THAT(p.error, HasSubstr("unknown flag --sourse (did you mean --source?)"));
  // A parent's flag counts too (--config is accepted after the command).
  p = Parse({"verify", "--confg", "x"});
  EXPECT_THAT(p.error, HasSubstr("unknown flag --confg (did you mean --config?)"));
}

TEST(CommandLineTest, UnknownSubcommandOfCerts) {
  Parsed p = Parse({"certs", "isue"});
  EXPECT_EQ(p.exit, 2);
  EXPECT_THAT(p.error, HasSubstr("mmresync certs: unknown command \"isue\" (did you mean issue?)"));
}

TEST(CommandLineTest, MissingCommandListsThem) {
  Parsed p = Parse({});
  EXPECT_EQ(p.exit, 2);
  EXPECT_THAT(p.error, HasSubstr("a command is required: status, plan, recover"));
}

TEST(CommandLineTest, VersionAndHelpExitZero) {
  EXPECT_EQ(Parse({"--version"}).exit, 0);
  EXPECT_EQ(Parse({"--help"}).exit, 0);
  EXPECT_EQ(Parse({"recover", "--help"}).exit, 0);
  EXPECT_EQ(Parse({"help"}).exit, std::nullopt);  // main() prints it
}

TEST(CommandLineTest, HelpAloneIsTheProgramsHelpAfterParsingHelp) {
  coordinator::CliArgs args;
  std::unique_ptr<CLI::App> app = coordinator::BuildCli(&args);
  const char* argv[] = {"mmresync", "help"};
  ASSERT_EQ(ParseCommandLine(*app, 2, argv, 2), std::nullopt);
  std::string error;
  std::optional<std::string> text = HelpFor(*app, {}, &error);
  ASSERT_TRUE(text.has_value()) << error;
  EXPECT_THAT(*text, HasSubstr("Usage: mmresync [OPTIONS] SUBCOMMAND"));
  EXPECT_THAT(*text, HasSubstr("recover"));
}

TEST(CommandLineTest, HelpCommandFindsCommandsAndSuggests) {
  coordinator::CliArgs args;
  std::unique_ptr<CLI::App> app = coordinator::BuildCli(&args);
  std::string error;
  std::optional<std::string> text = HelpFor(*app, {"certs", "issue"}, &error);
  ASSERT_TRUE(text.has_value()) << error;
  EXPECT_THAT(*text, HasSubstr("mmresync certs issue"));
  EXPECT_THAT(*text, HasSubstr("--role"));
  EXPECT_FALSE(HelpFor(*app, {"recovr"}, &error).has_value());
  EXPECT_THAT(error, HasSubstr("unknown command \"recovr\" (did you mean recover?)"));
}

TEST(CommandLineTest, EveryCommandsHelpHasAnExample) {
  coordinator::CliArgs args;
  std::unique_ptr<CLI::App> app = coordinator::BuildCli(&args);
  int checked = 0;
  std::function<void(const CLI::App&, const std::string&)> walk = [&](const CLI::App& at,
                                                                      const std::string& prev) {
    std::string help = at.help(prev);
    EXPECT_THAT(help, HasSubstr("Example:\n  mmresync")) << prev << " " << at.get_name();
    ++checked;
    std::string path = prev.empty() ? at.get_name() : prev + " " + at.get_name();
    for (const CLI::App* sub : at.get_subcommands([](const CLI::App*) { return true; })) {
      walk(*sub, path);
    }
  };
  walk(*app, "");
  EXPECT_GE(checked, 13);  // + backups list, restore, prune
}

TEST(VersionTest, TextStartsWithTheProjectVersion) {
  EXPECT_THAT(VersionText(), ::testing::StartsWith(ReleaseVersion()));
  EXPECT_THAT(std::string(ReleaseVersion()), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}

}  // namespace
}  // namespace mmresync
