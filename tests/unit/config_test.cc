#include "common/config.h"

#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCluster[] = R"(# comment on line 1
[cluster]
name = "prod"
vip = "10.0.0.100"
state_dir = "/srv/mmresync"

[tls]
ca = "/etc/mmresync/ca.pem"
cert = "/etc/mmresync/coordinator.pem"
key = "/etc/mmresync/coordinator.key"

[[node]]
name = "db1"
agent = "10.0.0.1:7443"
mariadb_host = "10.0.0.1"
mariadb_port = 3306

[[node]]
name = "db2"
agent = "[::1]:7444"
mariadb_host = "db2.example.com"
mariadb_port = 3307

[hooks]
pause = "systemctl stop app"
resume = "systemctl start app"
)";

// The same shape with every optional key left out.
constexpr char kMinimalCluster[] = R"([cluster]
name = "prod"

[tls]
ca = "ca.pem"
cert = "coord.pem"
key = "coord.key"

[[node]]
name = "db1"
agent = "db1:7443"
mariadb_host = "10.0.0.1"

[[node]]
name = "db2"
agent = "db2:7443"
mariadb_host = "10.0.0.2"
)";

constexpr char kAgent[] = R"([agent]
name = "db1"
listen = "0.0.0.0:7443"
state_dir = "/var/lib/mmresync"

[tls]
ca = "/etc/mmresync/ca.pem"
cert = "/etc/mmresync/db1.pem"
key = "/etc/mmresync/db1.key"

[mariadb]
socket = "/run/mysqld/mysqld.sock"
user = "admin"
password_file = "/etc/mmresync/db-password"
repl_user = "replicator"
repl_password_file = "/etc/mmresync/repl-password"
dump_command = "/usr/bin/mariadb-dump"
client_command = "/usr/bin/mariadb"

[keepalived]
control = "systemd"
service = "keepalived@vip"
vip = "10.0.0.100"

[peer]
name = "db2"
mariadb_host = "10.0.0.2"
mariadb_port = 3307
agent = "10.0.0.2:7443"
)";

constexpr char kMinimalAgent[] = R"([agent]
name = "db1"
listen = "[::]:7443"
state_dir = "state"

[tls]
ca = "ca.pem"
cert = "db1.pem"
key = "db1.key"

[mariadb]
host = "127.0.0.1"
repl_password_file = "repl-password"

[peer]
name = "db2"
mariadb_host = "db2.example.com"
agent = "db2.example.com:7443"
)";

// Returns `text` with the first occurrence of `from` replaced by `to` (which must exist).
std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "test bug: " << from << " not in the text";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "config_test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    path_ = tmpl;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  std::string Write(const std::string& name, std::string_view content) const {
    std::string file = absl::StrCat(path_, "/", name);
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    EXPECT_TRUE(out.good()) << file;
    return file;
  }

 private:
  std::string path_;
};

// Debian's absl::string_view is not std::string_view; gmock matchers want a std::string.
std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// Permission bits do not stop root, and CI runs as root: `check` runs in a child process
// that first gives up root (uid/gid nobody), so the unreadable-file path is exercised
// whoever runs the tests. The child exits 0 when `check` returns "", else prints it and
// exits 1. `dir` is opened to others so that only the file's own mode denies the read.
void ExpectAsUnprivileged(const std::string& dir, const std::function<std::string()>& check) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  EXPECT_EXIT(
      {
        if (::geteuid() == 0 &&
            (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
          std::fprintf(stderr, "could not drop root\n");
          std::_Exit(2);
        }
        const std::string failure = check();
        if (!failure.empty()) std::fprintf(stderr, "%s\n", failure.c_str());
        std::fflush(stderr);
        std::_Exit(failure.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

absl::Status ClusterError(const std::string& text) {
  return ParseClusterConfig(text, "/etc/mmresync/cluster.toml").status();
}

absl::Status AgentError(const std::string& text) {
  return ParseAgentConfig(text, "/etc/mmresync/agent.toml").status();
}

// ---------- cluster.toml ----------

TEST(ClusterConfigTest, ParsesFullFile) {
  absl::StatusOr<ClusterConfig> cfg = ParseClusterConfig(kCluster, "/etc/mmresync/cluster.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->path, "/etc/mmresync/cluster.toml");
  EXPECT_EQ(cfg->name, "prod");
  EXPECT_EQ(cfg->vip, "10.0.0.100");
  EXPECT_EQ(cfg->state_dir, "/srv/mmresync");
  EXPECT_EQ(cfg->tls.ca, "/etc/mmresync/ca.pem");
  EXPECT_EQ(cfg->tls.cert, "/etc/mmresync/coordinator.pem");
  EXPECT_EQ(cfg->tls.key, "/etc/mmresync/coordinator.key");
  ASSERT_EQ(cfg->nodes.size(), 2u);
  EXPECT_EQ(cfg->nodes[0].name, "db1");
  EXPECT_EQ(cfg->nodes[0].agent, "10.0.0.1:7443");
  EXPECT_EQ(cfg->nodes[0].mariadb_host, "10.0.0.1");
  EXPECT_EQ(cfg->nodes[0].mariadb_port, 3306u);
  EXPECT_EQ(cfg->nodes[1].name, "db2");
  EXPECT_EQ(cfg->nodes[1].agent, "[::1]:7444");
  EXPECT_EQ(cfg->nodes[1].mariadb_host, "db2.example.com");
  EXPECT_EQ(cfg->nodes[1].mariadb_port, 3307u);
  EXPECT_EQ(cfg->pause_hook, "systemctl stop app");
  EXPECT_EQ(cfg->resume_hook, "systemctl start app");
}

TEST(ClusterConfigTest, AppliesDefaults) {
  absl::StatusOr<ClusterConfig> cfg = ParseClusterConfig(kMinimalCluster, "/etc/x/cluster.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->vip, "");
  EXPECT_EQ(cfg->state_dir, kDefaultCoordinatorStateDir);
  EXPECT_EQ(cfg->nodes[0].mariadb_port, 3306u);
  EXPECT_EQ(cfg->nodes[1].mariadb_port, 3306u);
  EXPECT_EQ(cfg->pause_hook, "");
  EXPECT_EQ(cfg->resume_hook, "");
}

TEST(ClusterConfigTest, FindNode) {
  absl::StatusOr<ClusterConfig> cfg = ParseClusterConfig(kCluster, "cluster.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  ASSERT_NE(cfg->FindNode("db2"), nullptr);
  EXPECT_EQ(cfg->FindNode("db2")->mariadb_port, 3307u);
  EXPECT_EQ(cfg->FindNode("db1"), &cfg->nodes[0]);
  EXPECT_EQ(cfg->FindNode("db3"), nullptr);
  EXPECT_EQ(cfg->FindNode(""), nullptr);
}

TEST(ClusterConfigTest, EmptyHooksAndIpv6VipAreFine) {
  std::string text = Replace(kCluster, "vip = \"10.0.0.100\"", "vip = \"fd00::100\"");
  text = Replace(text, "pause = \"systemctl stop app\"", "pause = \"\"");
  absl::StatusOr<ClusterConfig> cfg = ParseClusterConfig(text, "cluster.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->vip, "fd00::100");
  EXPECT_EQ(cfg->pause_hook, "");
}

TEST(ClusterConfigTest, LoadResolvesRelativePathsAgainstTheFilesDirectory) {
  TempDir dir;
  std::string text = Replace(kMinimalCluster, "[cluster]\nname = \"prod\"",
                             "[cluster]\nname = \"prod\"\nstate_dir = \"./journals\"");
  text = Replace(text, "key = \"coord.key\"", "key = \"/abs/coord.key\"");
  std::string file = dir.Write("cluster.toml", text);
  absl::StatusOr<ClusterConfig> cfg = LoadClusterConfig(file);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->path, file);
  EXPECT_EQ(cfg->tls.ca, dir.path() + "/ca.pem");
  EXPECT_EQ(cfg->tls.cert, dir.path() + "/coord.pem");
  EXPECT_EQ(cfg->tls.key, "/abs/coord.key");
  EXPECT_EQ(cfg->state_dir, dir.path() + "/journals");
}

TEST(ClusterConfigTest, RelativeConfigPathResolvesAgainstCurrentDirectory) {
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  absl::StatusOr<ClusterConfig> cfg = ParseClusterConfig(kMinimalCluster, "conf/cluster.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  std::string base = std::string(cwd) == "/" ? "" : std::string(cwd);
  EXPECT_EQ(cfg->tls.ca, base + "/conf/ca.pem");
}

TEST(ClusterConfigTest, LoadMissingFileIsNotFound) {
  TempDir dir;
  std::string file = dir.path() + "/nope.toml";
  absl::Status s = LoadClusterConfig(file).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(Msg(s), HasSubstr(file));
}

TEST(ClusterConfigTest, UnknownTopLevelKey) {
  std::string text = std::string("colour = \"blue\"\n") + kCluster;
  absl::Status s = ClusterError(text);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), HasSubstr("/etc/mmresync/cluster.toml:1: unknown key \"colour\""));
}

TEST(ClusterConfigTest, UnknownTopLevelTable) {
  std::string text = std::string(kCluster) + "\n[extra]\nx = 1\n";
  absl::Status s = ClusterError(text);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:28:"), HasSubstr("unknown table"),
                            HasSubstr("\"extra\"")));
}

TEST(ClusterConfigTest, UnknownKeyInSection) {
  absl::Status s = ClusterError(Replace(kCluster, "vip =", "vipp ="));
  EXPECT_THAT(Msg(s), HasSubstr("cluster.toml:4: unknown key \"cluster.vipp\""));
}

TEST(ClusterConfigTest, UnknownKeyInsideNode) {
  // Line 20 is the second node's `agent`.
  absl::Status s = ClusterError(Replace(kCluster, "agent = \"[::1]:7444\"", "agnet = \"x:1\""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), HasSubstr("/etc/mmresync/cluster.toml:20: unknown key \"node[1].agnet\""));
}

TEST(ClusterConfigTest, UnknownKeyReportedInFileOrder) {
  std::string text = Replace(kCluster, "name = \"prod\"", "zzz = 1\nname = \"prod\"\naaa = 2");
  absl::Status s = ClusterError(text);
  EXPECT_THAT(Msg(s), HasSubstr("cluster.toml:3: unknown key \"cluster.zzz\""));
}

TEST(ClusterConfigTest, MissingTlsTable) {
  std::string text = Replace(kCluster,
                             "[tls]\nca = \"/etc/mmresync/ca.pem\"\ncert = "
                             "\"/etc/mmresync/coordinator.pem\"\nkey = "
                             "\"/etc/mmresync/coordinator.key\"\n",
                             "");
  absl::Status s = ParseClusterConfig(text, "cluster.toml").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Msg(s), "cluster.toml: missing required key \"tls.ca\"");
}

TEST(ClusterConfigTest, MissingRequiredKeyNamesTableLine) {
  absl::Status s =
      ClusterError(Replace(kCluster, "cert = \"/etc/mmresync/coordinator.pem\"\n", ""));
  EXPECT_THAT(Msg(s), HasSubstr("cluster.toml:7: missing required key \"tls.cert\""));
}

TEST(ClusterConfigTest, MissingRequiredKeyInNode) {
  absl::Status s = ClusterError(Replace(kCluster, "mariadb_host = \"db2.example.com\"\n", ""));
  EXPECT_THAT(Msg(s), HasSubstr("cluster.toml:18: missing required key \"node[1].mariadb_host\""));
}

TEST(ClusterConfigTest, MissingClusterName) {
  absl::Status s = ClusterError(Replace(kCluster, "name = \"prod\"\n", ""));
  EXPECT_THAT(Msg(s), HasSubstr("missing required key \"cluster.name\""));
}

TEST(ClusterConfigTest, EmptyRequiredStringIsAnError) {
  absl::Status s = ClusterError(Replace(kCluster, "ca = \"/etc/mmresync/ca.pem\"", "ca = \"\""));
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:8:"), HasSubstr("\"tls.ca\""),
                            HasSubstr("must not be empty")));
}

TEST(ClusterConfigTest, PortAsStringIsWrongType) {
  absl::Status s =
      ClusterError(Replace(kCluster, "mariadb_port = 3306", "mariadb_port = \"3306\""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:16:"), HasSubstr("\"node[0].mariadb_port\""),
                            HasSubstr("must be an integer, not a string")));
}

TEST(ClusterConfigTest, NameAsIntegerIsWrongType) {
  absl::Status s = ClusterError(Replace(kCluster, "name = \"prod\"", "name = 7"));
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:3:"), HasSubstr("\"cluster.name\""),
                            HasSubstr("must be a string, not an integer")));
}

TEST(ClusterConfigTest, SectionOfWrongType) {
  // A bare key after [[node]] would belong to the node, so this goes first.
  absl::Status s = ClusterError(std::string("hooks = \"none\"\n") + kMinimalCluster);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:1:"), HasSubstr("\"hooks\""),
                            HasSubstr("must be a table, not a string")));
  absl::Status t = ClusterError(std::string("tls = [1, 2]\n") + kMinimalCluster);
  EXPECT_EQ(t.code(), absl::StatusCode::kInvalidArgument);
}

TEST(ClusterConfigTest, MariadbPortOutOfRange) {
  for (const char* port : {"0", "65536", "-1"}) {
    absl::Status s = ClusterError(
        Replace(kCluster, "mariadb_port = 3307", absl::StrCat("mariadb_port = ", port)));
    EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:22:"), HasSubstr("\"node[1].mariadb_port\""),
                              HasSubstr("range")))
        << port;
  }
}

TEST(ClusterConfigTest, BadAgentAddresses) {
  for (const char* agent : {"10.0.0.1", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:", ":7443",
                            "::1:7443", "[::1]", "[nothost]:7443", "10.0.0.1:74x3", "a b:7443"}) {
    absl::Status s = ClusterError(
        Replace(kCluster, "agent = \"10.0.0.1:7443\"", absl::StrCat("agent = \"", agent, "\"")));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << agent;
    EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:14:"), HasSubstr("\"node[0].agent\"")))
        << agent;
  }
}

TEST(ClusterConfigTest, GoodAgentAddresses) {
  for (const char* agent : {"127.0.0.1:1", "localhost:65535", "[::1]:7443", "[fe80::1]:7443",
                            "db-1.example.com:7443"}) {
    absl::StatusOr<ClusterConfig> cfg = ParseClusterConfig(
        Replace(kCluster, "agent = \"10.0.0.1:7443\"", absl::StrCat("agent = \"", agent, "\"")),
        "cluster.toml");
    EXPECT_TRUE(cfg.ok()) << agent << ": " << cfg.status();
  }
}

TEST(ClusterConfigTest, DuplicateNodeName) {
  absl::Status s = ClusterError(Replace(kCluster, "name = \"db2\"", "name = \"db1\""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:19:"), HasSubstr("\"node[1].name\""),
                            HasSubstr("duplicate node name \"db1\"")));
}

TEST(ClusterConfigTest, BadNodeName) {
  for (const std::string& name :
       {std::string(), std::string("db 1"), std::string("db/1"), std::string(65, 'a')}) {
    absl::Status s =
        ClusterError(Replace(kCluster, "name = \"db1\"", absl::StrCat("name = \"", name, "\"")));
    EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:13:"), HasSubstr("\"node[0].name\"")))
        << name;
  }
  EXPECT_TRUE(ParseClusterConfig(Replace(kCluster, "name = \"db1\"",
                                         absl::StrCat("name = \"", std::string(64, 'a'), "\"")),
                                 "c.toml")
                  .ok());
}

TEST(ClusterConfigTest, OneNodeOnly) {
  std::string text = kMinimalCluster;
  text = text.substr(0, text.rfind("[[node]]"));
  absl::Status s = ClusterError(text);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("\"node\""), HasSubstr("exactly two"), HasSubstr("found 1")));
}

TEST(ClusterConfigTest, ThreeNodes) {
  std::string text = std::string(kMinimalCluster) +
                     "\n[[node]]\nname = \"db3\"\nagent = \"db3:1\"\n"
                     "mariadb_host = \"db3\"\n";
  EXPECT_THAT(Msg(ClusterError(text)), HasSubstr("found 3"));
}

TEST(ClusterConfigTest, NoNodes) {
  std::string text = kMinimalCluster;
  text = text.substr(0, text.find("[[node]]"));
  EXPECT_THAT(Msg(ClusterError(text)), HasSubstr("missing required key \"node\""));
}

TEST(ClusterConfigTest, NodeAsPlainTable) {
  std::string text = kMinimalCluster;
  text = text.substr(0, text.find("[[node]]")) + "[node]\nname = \"db1\"\n";
  EXPECT_THAT(Msg(ClusterError(text)), AllOf(HasSubstr("\"node\""), HasSubstr("array of tables")));
}

TEST(ClusterConfigTest, BadVip) {
  for (const char* vip : {"10.0.0", "10.0.0.300", "db.example.com", "10.0.0.1/24"}) {
    absl::Status s = ClusterError(
        Replace(kCluster, "vip = \"10.0.0.100\"", absl::StrCat("vip = \"", vip, "\"")));
    EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:4:"), HasSubstr("\"cluster.vip\""),
                              HasSubstr("not an IPv4 or IPv6 address")))
        << vip;
  }
}

TEST(ClusterConfigTest, SyntaxErrorNamesLine) {
  absl::Status s = ClusterError(Replace(kCluster, "mariadb_port = 3307", "mariadb_port = = 3307"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s),
              AllOf(HasSubstr("/etc/mmresync/cluster.toml:22:"), HasSubstr("TOML syntax error")));
}

TEST(ClusterConfigTest, DuplicateKeyIsASyntaxError) {
  absl::Status s = ClusterError(
      Replace(kCluster, "vip = \"10.0.0.100\"", "vip = \"10.0.0.100\"\nvip = \"10.0.0.101\""));
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("cluster.toml:5:"), HasSubstr("TOML syntax error")));
}

TEST(ClusterConfigTest, EmptyFile) {
  absl::Status s = ParseClusterConfig("", "cluster.toml").status();
  EXPECT_EQ(Msg(s), "cluster.toml: missing required key \"cluster.name\"");
}

// ---------- agent.toml ----------

TEST(AgentConfigTest, ParsesFullFile) {
  absl::StatusOr<AgentConfig> cfg = ParseAgentConfig(kAgent, "/etc/mmresync/agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->path, "/etc/mmresync/agent.toml");
  EXPECT_EQ(cfg->name, "db1");
  EXPECT_EQ(cfg->listen, "0.0.0.0:7443");
  EXPECT_EQ(cfg->state_dir, "/var/lib/mmresync");
  EXPECT_EQ(cfg->tls.ca, "/etc/mmresync/ca.pem");
  EXPECT_EQ(cfg->tls.cert, "/etc/mmresync/db1.pem");
  EXPECT_EQ(cfg->tls.key, "/etc/mmresync/db1.key");
  EXPECT_EQ(cfg->mariadb.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(cfg->mariadb.host, "");
  EXPECT_EQ(cfg->mariadb.port, 3306u);
  EXPECT_EQ(cfg->mariadb.user, "admin");
  EXPECT_EQ(cfg->mariadb.password_file, "/etc/mmresync/db-password");
  EXPECT_EQ(cfg->mariadb.repl_user, "replicator");
  EXPECT_EQ(cfg->mariadb.repl_password_file, "/etc/mmresync/repl-password");
  EXPECT_EQ(cfg->mariadb.dump_command, "/usr/bin/mariadb-dump");
  EXPECT_EQ(cfg->mariadb.client_command, "/usr/bin/mariadb");
  EXPECT_EQ(cfg->keepalived.control, "systemd");
  EXPECT_EQ(cfg->keepalived.service, "keepalived@vip");
  EXPECT_EQ(cfg->keepalived.vip, "10.0.0.100");
  EXPECT_EQ(cfg->peer.name, "db2");
  EXPECT_EQ(cfg->peer.mariadb_host, "10.0.0.2");
  EXPECT_EQ(cfg->peer.mariadb_port, 3307u);
  EXPECT_EQ(cfg->peer.agent, "10.0.0.2:7443");
}

TEST(AgentConfigTest, AppliesDefaults) {
  absl::StatusOr<AgentConfig> cfg = ParseAgentConfig(kMinimalAgent, "/etc/x/agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->listen, "[::]:7443");
  EXPECT_EQ(cfg->mariadb.socket, "");
  EXPECT_EQ(cfg->mariadb.host, "127.0.0.1");
  EXPECT_EQ(cfg->mariadb.port, 3306u);
  EXPECT_EQ(cfg->mariadb.user, "root");
  EXPECT_EQ(cfg->mariadb.password_file, "");
  EXPECT_EQ(cfg->mariadb.repl_user, "repl");
  EXPECT_EQ(cfg->mariadb.dump_command, "mariadb-dump");
  EXPECT_EQ(cfg->mariadb.client_command, "mariadb");
  EXPECT_EQ(cfg->keepalived.control, "none");
  EXPECT_EQ(cfg->keepalived.service, "keepalived");
  EXPECT_EQ(cfg->keepalived.start, "");
  EXPECT_EQ(cfg->keepalived.stop, "");
  EXPECT_EQ(cfg->keepalived.status, "");
  EXPECT_EQ(cfg->keepalived.vip, "");
  EXPECT_EQ(cfg->peer.mariadb_host, "db2.example.com");
  EXPECT_EQ(cfg->peer.mariadb_port, 3306u);
  EXPECT_EQ(cfg->tls_reload_seconds, 60u);
}

// The minimal agent config with `line` added to its [agent] table.
absl::StatusOr<AgentConfig> MinimalAgentWith(const std::string& line) {
  std::string text(kMinimalAgent);
  const std::string at = "state_dir = \"state\"\n";
  text.replace(text.find(at), at.size(), at + line + "\n");
  return ParseAgentConfig(text, "/etc/x/agent.toml");
}

TEST(AgentConfigTest, TlsReloadSecondsIsBounded) {
  auto five = MinimalAgentWith("tls_reload_seconds = 5");
  ASSERT_TRUE(five.ok()) << five.status();
  EXPECT_EQ(five->tls_reload_seconds, 5u);
  EXPECT_FALSE(MinimalAgentWith("tls_reload_seconds = 0").ok());
  EXPECT_FALSE(MinimalAgentWith("tls_reload_seconds = 3601").ok());
}

TEST(AgentConfigTest, BackupsKeepDefaultsToEveryBackupAndIsBounded) {
  auto none = MinimalAgentWith("");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->backups_keep, 0u);
  auto three = MinimalAgentWith("backups_keep = 3");
  ASSERT_TRUE(three.ok()) << three.status();
  EXPECT_EQ(three->backups_keep, 3u);
  EXPECT_FALSE(MinimalAgentWith("backups_keep = -1").ok());
  EXPECT_FALSE(MinimalAgentWith("backups_keep = 1001").ok());
  EXPECT_FALSE(MinimalAgentWith("backups_keep = \"2\"").ok());
}

// [peer] is required: an old agent.toml without it does not start (the agent could not
// tell its peer from any server a caller names), and its keys are checked strictly.
TEST(AgentConfigTest, PeerTableIsRequiredAndStrict) {
  std::string text = kAgent;
  text = text.substr(0, text.find("\n[peer]"));
  absl::Status absent = AgentError(text);
  EXPECT_EQ(absent.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(absent), AllOf(HasSubstr("/etc/mmresync/agent.toml"),
                                 HasSubstr("missing required table [peer]")));

  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "mariadb_port = 3307", "mariadb_prot = 3307"))),
              HasSubstr("agent.toml:28: unknown key \"peer.mariadb_prot\""));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "mariadb_host = \"10.0.0.2\"\n", ""))),
              HasSubstr("agent.toml:25: missing required key \"peer.mariadb_host\""));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "agent = \"10.0.0.2:7443\"\n", ""))),
              HasSubstr("missing required key \"peer.agent\""));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "name = \"db2\"\n", ""))),
              HasSubstr("missing required key \"peer.name\""));
  EXPECT_THAT(
      Msg(AgentError(Replace(kAgent, "name = \"db2\"", "name = \"db1\""))),
      AllOf(HasSubstr("agent.toml:26:"), HasSubstr("\"peer.name\""), HasSubstr("own name")));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "mariadb_host = \"10.0.0.2\"",
                                     "mariadb_host = \"h', MASTER_USER='root\""))),
              AllOf(HasSubstr("agent.toml:27:"), HasSubstr("\"peer.mariadb_host\"")));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "mariadb_port = 3307", "mariadb_port = 0"))),
              AllOf(HasSubstr("agent.toml:28:"), HasSubstr("\"peer.mariadb_port\"")));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "agent = \"10.0.0.2:7443\"", "agent = \"10.0.0.2\""))),
              AllOf(HasSubstr("agent.toml:29:"), HasSubstr("\"peer.agent\"")));
}

TEST(AgentConfigTest, HostWithPortAndEmptyPasswordFile) {
  std::string text = Replace(kMinimalAgent, "host = \"127.0.0.1\"",
                             "host = \"127.0.0.1\"\nport = 3310\npassword_file = \"\"");
  absl::StatusOr<AgentConfig> cfg = ParseAgentConfig(text, "/etc/x/agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->mariadb.port, 3310u);
  EXPECT_EQ(cfg->mariadb.password_file, "");
}

TEST(AgentConfigTest, LoadResolvesRelativePaths) {
  TempDir dir;
  std::string text =
      Replace(kMinimalAgent, "host = \"127.0.0.1\"",
              "socket = \"run/mysqld.sock\"\npassword_file = \"secrets/db-password\"");
  std::string file = dir.Write("agent.toml", text);
  absl::StatusOr<AgentConfig> cfg = LoadAgentConfig(file);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->state_dir, dir.path() + "/state");
  EXPECT_EQ(cfg->tls.ca, dir.path() + "/ca.pem");
  EXPECT_EQ(cfg->tls.cert, dir.path() + "/db1.pem");
  EXPECT_EQ(cfg->tls.key, dir.path() + "/db1.key");
  EXPECT_EQ(cfg->mariadb.socket, dir.path() + "/run/mysqld.sock");
  EXPECT_EQ(cfg->mariadb.password_file, dir.path() + "/secrets/db-password");
  EXPECT_EQ(cfg->mariadb.repl_password_file, dir.path() + "/repl-password");
  // Commands are not paths.
  EXPECT_EQ(cfg->mariadb.dump_command, "mariadb-dump");
}

TEST(AgentConfigTest, LoadUnreadableFile) {
  TempDir dir;
  std::string file = dir.Write("agent.toml", kAgent);
  ASSERT_EQ(::chmod(file.c_str(), 0), 0);
  ExpectAsUnprivileged(dir.path(), [file]() -> std::string {
    absl::Status s = LoadAgentConfig(file).status();
    if (s.code() != absl::StatusCode::kPermissionDenied || !absl::StrContains(Msg(s), file)) {
      return "expected PERMISSION_DENIED naming the file, got " + s.ToString();
    }
    return "";
  });
}

TEST(AgentConfigTest, UnknownTopLevelTable) {
  absl::Status s = AgentError(std::string(kAgent) + "[coordinator]\nname = \"x\"\n");
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("agent.toml:30:"), HasSubstr("\"coordinator\"")));
}

TEST(AgentConfigTest, UnknownKeyInMariadb) {
  absl::Status s = AgentError(Replace(kAgent, "repl_user =", "repl_usr ="));
  EXPECT_THAT(Msg(s), HasSubstr("agent.toml:15: unknown key \"mariadb.repl_usr\""));
}

TEST(AgentConfigTest, UnknownSubTable) {
  absl::Status s = AgentError(std::string(kAgent) + "[tls.extra]\nx = 1\n");
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("agent.toml:30:"), HasSubstr("unknown table"),
                            HasSubstr("\"tls.extra\"")));
}

TEST(AgentConfigTest, MissingRequiredKeys) {
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "state_dir = \"/var/lib/mmresync\"\n", ""))),
              HasSubstr("agent.toml:1: missing required key \"agent.state_dir\""));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "listen = \"0.0.0.0:7443\"\n", ""))),
              HasSubstr("missing required key \"agent.listen\""));
  EXPECT_THAT(Msg(AgentError(
                  Replace(kAgent, "repl_password_file = \"/etc/mmresync/repl-password\"\n", ""))),
              HasSubstr("agent.toml:11: missing required key \"mariadb.repl_password_file\""));
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "key = \"/etc/mmresync/db1.key\"\n", ""))),
              HasSubstr("missing required key \"tls.key\""));
}

TEST(AgentConfigTest, MissingMariadbTable) {
  std::string text = kAgent;
  text = text.substr(0, text.find("[mariadb]"));
  EXPECT_EQ(Msg(ParseAgentConfig(text, "agent.toml").status()),
            "agent.toml: missing required key \"mariadb.repl_password_file\"");
}

TEST(AgentConfigTest, WrongTypes) {
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "user = \"admin\"", "user = true"))),
              AllOf(HasSubstr("agent.toml:13:"), HasSubstr("\"mariadb.user\""),
                    HasSubstr("must be a string, not a boolean")));
  EXPECT_THAT(Msg(AgentError(Replace(kMinimalAgent, "host = \"127.0.0.1\"",
                                     "host = \"127.0.0.1\"\nport = \"3306\""))),
              AllOf(HasSubstr("\"mariadb.port\""), HasSubstr("must be an integer, not a string")));
  EXPECT_THAT(Msg(AgentError(Replace(kMinimalAgent, "host = \"127.0.0.1\"",
                                     "host = \"127.0.0.1\"\nport = 3306.0"))),
              HasSubstr("must be an integer, not a float"));
}

TEST(AgentConfigTest, BadListen) {
  for (const char* listen : {"0.0.0.0", "0.0.0.0:0", "0.0.0.0:70000", ":7443", "[::1:7443"}) {
    absl::Status s = AgentError(
        Replace(kAgent, "listen = \"0.0.0.0:7443\"", absl::StrCat("listen = \"", listen, "\"")));
    EXPECT_THAT(Msg(s), AllOf(HasSubstr("agent.toml:3:"), HasSubstr("\"agent.listen\""))) << listen;
  }
}

TEST(AgentConfigTest, BadAgentName) {
  absl::Status s = AgentError(Replace(kAgent, "name = \"db1\"", "name = \"db1;rm\""));
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("agent.toml:2:"), HasSubstr("\"agent.name\"")));
}

TEST(AgentConfigTest, SocketAndHostAreExclusive) {
  absl::Status both =
      AgentError(Replace(kAgent, "user = \"admin\"", "user = \"admin\"\nhost = \"h\""));
  EXPECT_THAT(Msg(both), AllOf(HasSubstr("agent.toml:14:"), HasSubstr("\"mariadb.socket\""),
                               HasSubstr("\"mariadb.host\"")));
  absl::Status neither = AgentError(Replace(kAgent, "socket = \"/run/mysqld/mysqld.sock\"\n", ""));
  EXPECT_THAT(Msg(neither), AllOf(HasSubstr("agent.toml:11:"), HasSubstr("exactly one")));
  absl::Status empty_socket =
      AgentError(Replace(kAgent, "socket = \"/run/mysqld/mysqld.sock\"", "socket = \"\""));
  EXPECT_THAT(Msg(empty_socket), HasSubstr("exactly one"));
}

TEST(AgentConfigTest, PortOnlyWithHost) {
  absl::Status s = AgentError(Replace(kAgent, "user = \"admin\"", "user = \"admin\"\nport = 3306"));
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("\"mariadb.port\""), HasSubstr("only allowed")));
  absl::Status range =
      AgentError(Replace(kMinimalAgent, "host = \"127.0.0.1\"", "host = \"127.0.0.1\"\nport = 0"));
  EXPECT_THAT(Msg(range), AllOf(HasSubstr("agent.toml:13:"), HasSubstr("range")));
}

TEST(AgentConfigTest, BadControl) {
  absl::Status s = AgentError(Replace(kAgent, "control = \"systemd\"", "control = \"sysv\""));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("agent.toml:21:"), HasSubstr("\"keepalived.control\""),
                            HasSubstr("\"sysv\"")));
}

TEST(AgentConfigTest, CommandControl) {
  std::string base = Replace(kAgent, "control = \"systemd\"", "control = \"command\"");
  std::string good = Replace(base, "service = \"keepalived@vip\"",
                             "start = \"ka start\"\nstop = \"ka stop\"\nstatus = \"ka status\"");
  absl::StatusOr<AgentConfig> cfg = ParseAgentConfig(good, "agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->keepalived.control, "command");
  EXPECT_EQ(cfg->keepalived.start, "ka start");
  EXPECT_EQ(cfg->keepalived.stop, "ka stop");
  EXPECT_EQ(cfg->keepalived.status, "ka status");

  absl::Status no_start = AgentError(Replace(good, "start = \"ka start\"\n", ""));
  EXPECT_THAT(Msg(no_start),
              AllOf(HasSubstr("agent.toml:20:"),
                    HasSubstr("missing required key \"keepalived.start\""), HasSubstr("command")));
  absl::Status empty_status = AgentError(Replace(good, "status = \"ka status\"", "status = \"\""));
  EXPECT_THAT(Msg(empty_status),
              AllOf(HasSubstr("agent.toml:24:"), HasSubstr("\"keepalived.status\""),
                    HasSubstr("must not be empty")));
}

TEST(AgentConfigTest, BadVip) {
  absl::Status s = AgentError(Replace(kAgent, "vip = \"10.0.0.100\"", "vip = \"10.0.0.256\""));
  EXPECT_THAT(Msg(s), AllOf(HasSubstr("agent.toml:23:"), HasSubstr("\"keepalived.vip\""),
                            HasSubstr("not an IPv4 or IPv6 address")));
  EXPECT_TRUE(
      ParseAgentConfig(Replace(kAgent, "vip = \"10.0.0.100\"", "vip = \"2001:db8::1\""), "a.toml")
          .ok());
  EXPECT_TRUE(
      ParseAgentConfig(Replace(kAgent, "vip = \"10.0.0.100\"", "vip = \"\""), "a.toml").ok());
}

TEST(AgentConfigTest, SyntaxErrorNamesLine) {
  absl::Status s = AgentError(Replace(kAgent, "[mariadb]", "[mariadb"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(s),
              AllOf(HasSubstr("/etc/mmresync/agent.toml:11:"), HasSubstr("TOML syntax error")));
  absl::Status unterminated = AgentError(Replace(kAgent, "user = \"admin\"", "user = \"admin"));
  EXPECT_THAT(Msg(unterminated), HasSubstr("agent.toml:13:"));
}

// ---------- ReadSecretFile ----------

TEST(ReadSecretFileTest, FirstLineWithoutLineEnd) {
  TempDir dir;
  EXPECT_EQ(*ReadSecretFile(dir.Write("a", "s3cret\n")), "s3cret");
  EXPECT_EQ(*ReadSecretFile(dir.Write("b", "s3cret\r\n")), "s3cret");
  EXPECT_EQ(*ReadSecretFile(dir.Write("c", "s3cret")), "s3cret");
  EXPECT_EQ(*ReadSecretFile(dir.Write("d", "first\nsecond\n")), "first");
  EXPECT_EQ(*ReadSecretFile(dir.Write("e", " spaced pass \n")), " spaced pass ");
}

TEST(ReadSecretFileTest, EmptyFileIsEmptySecret) {
  TempDir dir;
  absl::StatusOr<std::string> s = ReadSecretFile(dir.Write("empty", ""));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "");
  EXPECT_EQ(*ReadSecretFile(dir.Write("nl", "\n")), "");
}

TEST(ReadSecretFileTest, LongLineIsReadWhole) {
  TempDir dir;
  std::string secret(20000, 'x');
  EXPECT_EQ(*ReadSecretFile(dir.Write("long", secret + "\nrest")), secret);
}

TEST(ReadSecretFileTest, MissingFile) {
  TempDir dir;
  std::string path = dir.path() + "/missing";
  absl::Status s = ReadSecretFile(path).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(s), AllOf(HasSubstr(path), HasSubstr("No such file or directory")));
}

TEST(ReadSecretFileTest, UnreadableFileDoesNotLeakContent) {
  TempDir dir;
  std::string path = dir.Write("secret", "topsecretvalue\n");
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  ExpectAsUnprivileged(dir.path(), [path]() -> std::string {
    absl::Status s = ReadSecretFile(path).status();
    if (s.code() != absl::StatusCode::kPermissionDenied || !absl::StrContains(Msg(s), path) ||
        absl::StrContains(Msg(s), "topsecretvalue")) {
      return "expected PERMISSION_DENIED naming the file, without its content, got " + s.ToString();
    }
    return "";
  });
}

TEST(ReadSecretFileTest, DirectoryIsAnError) {
  TempDir dir;
  absl::Status s = ReadSecretFile(dir.path()).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(Msg(s), HasSubstr(dir.path()));
}

TEST(ReadSecretFileTest, OverlongLineIsAnErrorWithoutContent) {
  TempDir dir;
  std::string path = dir.Write("huge", std::string(100000, 'q'));
  absl::Status s = ReadSecretFile(path).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(Msg(s), AllOf(HasSubstr(path), Not(HasSubstr("qqqq"))));
}

// ---------- ConfigPathFromEnv ----------

class ConfigPathFromEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("MMRESYNC_CONFIG");
    if (old != nullptr) saved_ = old;
    had_ = old != nullptr;
  }
  void TearDown() override {
    if (had_) {
      ::setenv("MMRESYNC_CONFIG", saved_.c_str(), 1);
    } else {
      ::unsetenv("MMRESYNC_CONFIG");
    }
  }

 private:
  bool had_ = false;
  std::string saved_;
};

TEST_F(ConfigPathFromEnvTest, Precedence) {
  ::unsetenv("MMRESYNC_CONFIG");
  EXPECT_EQ(ConfigPathFromEnv("", kDefaultClusterConfig), kDefaultClusterConfig);
  EXPECT_EQ(ConfigPathFromEnv("/flag.toml", kDefaultClusterConfig), "/flag.toml");
  ::setenv("MMRESYNC_CONFIG", "", 1);
  EXPECT_EQ(ConfigPathFromEnv("", kDefaultAgentConfig), kDefaultAgentConfig);
  ::setenv("MMRESYNC_CONFIG", "/env.toml", 1);
  EXPECT_EQ(ConfigPathFromEnv("", kDefaultAgentConfig), "/env.toml");
  EXPECT_EQ(ConfigPathFromEnv("/flag.toml", kDefaultAgentConfig), "/flag.toml");
}

}  // namespace
}  // namespace mmresync

namespace mmresync {
namespace {

TEST(AgentConfigTest, KeepalivedFilesDefaultOnlyWhenManaged) {
  absl::StatusOr<AgentConfig> managed = ParseAgentConfig(kAgent, "/etc/mmresync/agent.toml");
  ASSERT_TRUE(managed.ok()) << managed.status();
  EXPECT_EQ(managed->keepalived.config_file, "/etc/keepalived/keepalived.conf");
  EXPECT_EQ(managed->keepalived.pid_file, "/run/keepalived.pid");
  absl::StatusOr<AgentConfig> unmanaged = ParseAgentConfig(kMinimalAgent, "/etc/x/agent.toml");
  ASSERT_TRUE(unmanaged.ok()) << unmanaged.status();
  EXPECT_EQ(unmanaged->keepalived.config_file, "");
  EXPECT_EQ(unmanaged->keepalived.pid_file, "");
}

TEST(AgentConfigTest, KeepalivedFilesResolvedOrSwitchedOff) {
  std::string text = Replace(kAgent, "vip = \"10.0.0.100\"",
                             "vip = \"10.0.0.100\"\nconfig_file = \"ka/keepalived.conf\"\n"
                             "pid_file = \"\"");
  absl::StatusOr<AgentConfig> cfg = ParseAgentConfig(text, "/etc/mmresync/agent.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->keepalived.config_file, "/etc/mmresync/ka/keepalived.conf");
  EXPECT_EQ(cfg->keepalived.pid_file, "");
  EXPECT_THAT(Msg(AgentError(Replace(kAgent, "vip = \"10.0.0.100\"", "config_file = 3"))),
              HasSubstr("keepalived.config_file"));
}

TEST(ClusterConfigTest, VipWaitSeconds) {
  absl::StatusOr<ClusterConfig> d = ParseClusterConfig(kCluster, "c.toml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->vip_wait_seconds, 30u);
  std::string text = Replace(kCluster, "state_dir = \"/srv/mmresync\"",
                             "state_dir = \"/srv/mmresync\"\nvip_wait_seconds = 5");
  absl::StatusOr<ClusterConfig> c = ParseClusterConfig(text, "c.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vip_wait_seconds, 5u);
  for (const char* bad : {"0", "601", "\"5\"", "2.5"}) {
    std::string t =
        Replace(kCluster, "state_dir = \"/srv/mmresync\"",
                absl::StrCat("state_dir = \"/srv/mmresync\"\nvip_wait_seconds = ", bad));
    absl::Status s = ParseClusterConfig(t, "c.toml").status();
    EXPECT_THAT(Msg(s), HasSubstr("cluster.vip_wait_seconds")) << bad;
  }
}

TEST(ClusterConfigTest, ReplicaWaitSeconds) {
  absl::StatusOr<ClusterConfig> d = ParseClusterConfig(kCluster, "c.toml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->replica_wait_seconds, 120u);
  std::string text = Replace(kCluster, "state_dir = \"/srv/mmresync\"",
                             "state_dir = \"/srv/mmresync\"\nreplica_wait_seconds = 20");
  absl::StatusOr<ClusterConfig> c = ParseClusterConfig(text, "c.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->replica_wait_seconds, 20u);
  for (const char* bad : {"0", "4", "3601", "\"20\""}) {
    std::string t =
        Replace(kCluster, "state_dir = \"/srv/mmresync\"",
                absl::StrCat("state_dir = \"/srv/mmresync\"\nreplica_wait_seconds = ", bad));
    absl::Status s = ParseClusterConfig(t, "c.toml").status();
    EXPECT_THAT(Msg(s), HasSubstr("cluster.replica_wait_seconds")) << bad;
  }
}

}  // namespace
}  // namespace mmresync

namespace mmresync {
namespace {

TEST(ExampleConfigTest, ShippedExamplesParse) {
  const std::string dir = std::string(MMRESYNC_SOURCE_DIR) + "/deploy/examples/";
  absl::StatusOr<ClusterConfig> cluster = LoadClusterConfig(dir + "cluster.toml");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ(cluster->vip, "10.0.0.100");
  absl::StatusOr<AgentConfig> agent = LoadAgentConfig(dir + "agent.toml");
  ASSERT_TRUE(agent.ok()) << agent.status();
  EXPECT_EQ(agent->keepalived.vip, cluster->vip);
  EXPECT_EQ(agent->keepalived.config_file, kDefaultKeepalivedConfig);
  // The example's peer is the cluster's other node, as cluster.toml names it.
  const NodeEntry* peer = cluster->FindNode(agent->peer.name);
  ASSERT_NE(peer, nullptr) << agent->peer.name;
  EXPECT_NE(agent->peer.name, agent->name);
  EXPECT_EQ(agent->peer.mariadb_host, peer->mariadb_host);
  EXPECT_EQ(agent->peer.mariadb_port, peer->mariadb_port);
  EXPECT_EQ(agent->peer.agent, peer->agent);
}

}  // namespace
}  // namespace mmresync
