// What an operator sees before anything goes wrong and when it does, on real processes:
// versions on both binaries and in status (text and JSON), a stopped agent named with
// the address it was dialled at, TLS failures naming the file and the likely reason, and
// no gRPC log line ("E1130 ... ssl_transport_security.cc") on stderr.

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/fault_point.h"
#include "common/files.h"
#include "common/version.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster_suite.h"

namespace mmresync::testing {
namespace {

class OperatorTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() { StartCluster({}); }

  // A copy of cluster.toml with its [tls] files replaced by `tls`.
  static std::string ClusterTomlWith(const TlsFiles& tls, const std::string& name) {
    const TlsFiles mine = cluster().certs().Coordinator();
    std::string text = absl::StrReplaceAll(cluster().cluster_toml(),
                                           {{"\"" + mine.ca + "\"", "\"" + tls.ca + "\""},
                                            {"\"" + mine.cert + "\"", "\"" + tls.cert + "\""},
                                            {"\"" + mine.key + "\"", "\"" + tls.key + "\""}});
    const std::string path = cluster().base_dir() + "/" + name;
    EXPECT_TRUE(WriteFileAtomically(path, text, 0600).ok());
    return path;
  }
};

// gRPC's own log lines look like "E1130 14:05:45.123456 1234 file.cc:99] ...".
bool HasGrpcLogLine(const std::string& err) {
  static const std::regex kLine(R"((^|\n)[EWID]\d{4} \d\d:\d\d:\d\d)");
  return std::regex_search(err, kLine) || absl::StrContains(err, "ssl_transport_security");
}

std::string RunShell(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return "<popen failed>";
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  return rc == 0 ? out : absl::StrCat("<exit ", rc, "> ", out);
}

TEST_F(OperatorTest, BothBinariesPrintTheVersion) {
  // A test build says that it has fault points (a release build prints the version alone;
  // package_test checks that).
  const std::string expected = absl::StrCat(VersionText(), fault::BuildNote(), "\n");
  EXPECT_EQ(RunShell(absl::StrCat(MMRESYNC_CLI_BIN, " --version")), expected);
  EXPECT_EQ(RunShell(absl::StrCat(MMRESYNC_AGENT_BIN, " --version")), expected);
  CliResult unknown = Cli({"recovr"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  EXPECT_TRUE(absl::StrContains(unknown.err, "did you mean recover?")) << unknown.Describe();
}

TEST_F(OperatorTest, StatusShowsBothAgentsVersions) {
  CliResult text = Cli({"status"});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(absl::StrContains(text.out, "agent version")) << text.Describe();
  // Both columns carry this build's version; nothing to warn about.
  size_t first = text.out.find(VersionText());
  ASSERT_NE(first, std::string::npos) << text.Describe();
  EXPECT_NE(text.out.find(VersionText(), first + 1), std::string::npos) << text.Describe();
  EXPECT_FALSE(absl::StrContains(text.out, "different versions")) << text.Describe();

  CliResult json = Cli({"status", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.Describe();
  const std::string quoted = absl::StrCat("\"", VersionText(), "\"");
  EXPECT_TRUE(absl::StrContains(json.out, "\"version\":" + quoted)) << json.Describe();
  EXPECT_TRUE(absl::StrContains(json.out, "\"agent_version\":" + quoted)) << json.Describe();
  EXPECT_TRUE(absl::StrContains(json.out, "\"version_warnings\":[]")) << json.Describe();
}

TEST_F(OperatorTest, PlanJsonIsOneObjectWithTheSteps) {
  CliResult plan = Cli({"plan", "--source", "db1", "--force", "--json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.Describe();
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(plan.out, &parsed).ok())
      << plan.Describe();
  EXPECT_EQ(parsed.fields().at("source").string_value(), "db1");
  EXPECT_EQ(parsed.fields().at("target").string_value(), "db2");
  EXPECT_GT(parsed.fields().at("steps").list_value().values_size(), 5) << plan.Describe();
}

TEST_F(OperatorTest, StoppedAgentIsNamedWithWhereItWasDialled) {
  const std::string address = cluster().agent(kDb2).address();
  ASSERT_OK(cluster().agent(kDb2).Kill());
  CliResult status = Cli({"status"});
  CliResult plan = Cli({"plan"});
  ASSERT_OK(cluster().agent(kDb2).Restart());

  EXPECT_EQ(status.exit_code, 2) << status.Describe();
  const std::string said = absl::StrCat("no mmresync-agent answers at ", address, " (",
                                        cluster().config_path(), " [[node]] db2)");
  EXPECT_TRUE(absl::StrContains(status.output(), said)) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.output(), "mmresync-agent must be running on db2"))
      << status.Describe();
  EXPECT_FALSE(HasGrpcLogLine(status.err)) << status.Describe();

  EXPECT_EQ(plan.exit_code, 3) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.output(), "db2's agent is unreachable")) << plan.Describe();
  EXPECT_TRUE(absl::StrContains(plan.output(), said)) << plan.Describe();
  EXPECT_FALSE(HasGrpcLogLine(plan.err)) << plan.Describe();
}

TEST_F(OperatorTest, CoordinatorCertificateFromAnotherCaIsNamed) {
  auto foreign = cluster().certs().ForeignCoordinator();
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  const std::string config = ClusterTomlWith(*foreign, "foreign-cert.toml");
  auto ran = RunCli({"--config", config, "status"});
  ASSERT_TRUE(ran.ok()) << ran.status();
  const CliResult& status = *ran;
  EXPECT_NE(status.exit_code, 0) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.output(),
                                "does not accept this coordinator's "
                                "certificate tls.cert = " +
                                    foreign->cert))
      << status.Describe();
  EXPECT_FALSE(absl::StrContains(status.output(), "no mmresync-agent answers"))
      << status.Describe();
  EXPECT_FALSE(HasGrpcLogLine(status.err)) << status.Describe();
}

TEST_F(OperatorTest, WrongCaFileIsNamed) {
  auto foreign = cluster().certs().ForeignCoordinator();  // makes other-ca/ca.pem
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  TlsFiles tls = cluster().certs().Coordinator();
  tls.ca = cluster().certs().dir() + "/other-ca/ca.pem";
  const std::string config = ClusterTomlWith(tls, "wrong-ca.toml");
  auto ran = RunCli({"--config", config, "status"});
  ASSERT_TRUE(ran.ok()) << ran.status();
  const CliResult& status = *ran;
  EXPECT_NE(status.exit_code, 0) << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.output(), "does not verify against tls.ca = " + tls.ca))
      << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.output(), "another CA, or it has expired"))
      << status.Describe();
  EXPECT_FALSE(HasGrpcLogLine(status.err)) << status.Describe();
  // The control: gRPC did log the handshake failure; --debug shows it, through our log.
  auto debug = RunCli({"--config", config, "--debug", "status"});
  ASSERT_TRUE(debug.ok()) << debug.status();
  EXPECT_TRUE(HasGrpcLogLine(debug->err)) << debug->Describe();
  EXPECT_TRUE(absl::StrContains(debug->err, "grpc: ")) << debug->Describe();
}

// The documented JSON (README, "JSON output") names its schema version in every object
// a script reads: status, plan, each recover event line, verify, history.
TEST_F(OperatorTest, EveryJsonOutputCarriesTheSchemaVersion) {
  auto schema_version = [](const std::string& line) {
    google::protobuf::Struct parsed;
    if (!google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) return -1.0;
    auto it = parsed.fields().find("schema_version");
    return it == parsed.fields().end() ? -2.0 : it->second.number_value();
  };
  for (std::vector<std::string> args : {std::vector<std::string>{"status", "--json"},
                                        {"plan", "--source", "db1", "--force", "--json"},
                                        {"verify", "--json"},
                                        {"history", "--json"}}) {
    CliResult r = Cli(args);
    EXPECT_EQ(schema_version(r.out), 1) << args[0] << ": " << r.Describe();
  }
  CliResult recover = Cli({"recover", "--source", "db1", "--yes", "--force", "--json"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(recover.out, '\n', absl::SkipEmpty())) {
    ++lines;
    EXPECT_EQ(schema_version(std::string(line)), 1) << line;
  }
  EXPECT_GT(lines, 5) << recover.Describe();
}

// `mmresync history` reads the journal: the recover above (or any run) with who ran it,
// its roles, method and outcome; `history RUN` its records; an unknown run is named.
TEST_F(OperatorTest, HistoryListsRunsFromTheJournal) {
  CliResult recover = Cli({"recover", "--source", "db1", "--yes", "--force"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  const std::string run = cluster().LastJournalRunId();
  ASSERT_FALSE(run.empty());
  CliResult text = Cli({"history"});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_TRUE(absl::StrContains(text.out, run)) << text.Describe();
  EXPECT_TRUE(absl::StrContains(text.out, "db1->db2")) << text.Describe();
  CliResult json = Cli({"history", "--json"});
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &parsed).ok())
      << json.Describe();
  const auto& runs = parsed.fields().at("runs").list_value().values();
  ASSERT_GE(runs.size(), 1);
  const auto& last = runs[runs.size() - 1].struct_value().fields();
  EXPECT_EQ(last.at("run").string_value(), run);
  EXPECT_EQ(last.at("outcome").string_value(), "done");
  EXPECT_EQ(last.at("source").string_value(), "db1");
  EXPECT_EQ(last.at("target").string_value(), "db2");
  EXPECT_FALSE(last.at("method").string_value().empty());
  EXPECT_FALSE(last.at("user").string_value().empty());
  EXPECT_GT(last.at("seconds").number_value(), 0);
  CliResult one = Cli({"history", run});
  EXPECT_EQ(one.exit_code, 0) << one.Describe();
  EXPECT_TRUE(absl::StrContains(one.out, "run-done")) << one.Describe();
  EXPECT_TRUE(absl::StrContains(one.out, "stream-import")) << one.Describe();
  CliResult unknown = Cli({"history", "no-such-run"});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.Describe();
  EXPECT_TRUE(absl::StrContains(unknown.err, "no run no-such-run")) << unknown.Describe();
}

}  // namespace
}  // namespace mmresync::testing
