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
  EXPECT_EQ(RunShell(absl::StrCat(MMRESYNC_CLI_BIN, " --version")), VersionText() + "\n");
  EXPECT_EQ(RunShell(absl::StrCat(MMRESYNC_AGENT_BIN, " --version")), VersionText() + "\n");
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
  EXPECT_TRUE(absl::StrContains(json.out, "{\"version\":" + quoted)) << json.Describe();
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

}  // namespace
}  // namespace mmresync::testing
