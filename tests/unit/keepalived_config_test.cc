#include "agent/keepalived_config.h"

#include <unistd.h>

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/keepalived_report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Files in memory; Glob understands a trailing "*.conf" only, enough for includes.
class FakeFiles : public ConfigFiles {
 public:
  std::map<std::string, std::string> files;

  absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) override {
    std::vector<std::string> out;
    if (absl::EndsWith(pattern, "*.conf")) {
      std::string prefix = pattern.substr(0, pattern.size() - 6);
      for (const auto& [path, text] : files) {
        if (absl::StartsWith(path, prefix) && absl::EndsWith(path, ".conf")) out.push_back(path);
      }
    } else if (files.count(pattern)) {
      out.push_back(pattern);
    }
    return out;
  }
  absl::StatusOr<std::string> Read(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    return it->second;
  }
};

constexpr char kDebianStyle[] = R"(! Configuration File for keepalived
global_defs {
   router_id db1
}

vrrp_script chk_mysql {
  script "/usr/local/bin/check_mysql"   # a comment
  interval 2
  weight -20
}

vrrp_instance VI_1 {
    state backup
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 2
    nopreempt
    authentication {
        auth_type PASS
        auth_pass s3cret#1
    }
    virtual_ipaddress {
        10.0.0.100/24 dev eth0 label eth0:1
    }
    track_script {
        chk_mysql
    }
}
)";

absl::StatusOr<KeepalivedConfigFacts> ReadOne(const std::string& text,
                                              const std::string& id = "db1") {
  FakeFiles f;
  f.files["/etc/keepalived/keepalived.conf"] = text;
  return ReadKeepalivedConfig("/etc/keepalived/keepalived.conf", f, id);
}

TEST(KeepalivedConfigTest, ReadsTheInstanceThatDecidesMastership) {
  auto facts = ReadOne(kDebianStyle);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->instances.size(), 1u);
  const VrrpInstance& v = facts->instances[0];
  EXPECT_EQ(v.name, "VI_1");
  EXPECT_EQ(v.state, "BACKUP");
  EXPECT_EQ(v.priority, 150u);
  EXPECT_TRUE(v.priority_set);
  EXPECT_TRUE(v.nopreempt);
  EXPECT_EQ(v.advert_int_ms, 2000u);
  EXPECT_TRUE(v.tracked);
  EXPECT_THAT(v.addresses, ElementsAre("10.0.0.100"));
  EXPECT_EQ(v.origin, "/etc/keepalived/keepalived.conf:12");
  EXPECT_FALSE(facts->unevaluated);
  EXPECT_EQ(InstancesWithVip(*facts, "10.0.0.100").size(), 1u);
  EXPECT_TRUE(InstancesWithVip(*facts, "10.0.0.10").empty());
}

TEST(KeepalivedConfigTest, DefaultsAreKeepalivedsOwn) {
  auto facts = ReadOne("vrrp_instance X {\n virtual_ipaddress {\n  192.168.1.5\n }\n}\n");
  ASSERT_TRUE(facts.ok()) << facts.status();
  const VrrpInstance& v = facts->instances.at(0);
  EXPECT_EQ(v.state, "");
  EXPECT_EQ(v.priority, 100u);
  EXPECT_FALSE(v.priority_set);
  EXPECT_FALSE(v.nopreempt);
  EXPECT_EQ(v.preempt_delay_s, 0u);
  EXPECT_EQ(v.advert_int_ms, 1000u);
  EXPECT_FALSE(v.tracked);
}

TEST(KeepalivedConfigTest, BracesOnOneLineAndOnTheNextLine) {
  auto facts = ReadOne(
      "vrrp_instance A { state MASTER\n priority 200\n virtual_ipaddress { 10.1.1.1 } }\n"
      "vrrp_instance B\n{\n  priority 90\n  nopreempt\n  preempt\n  preempt_delay 30\n"
      "  virtual_ipaddress_excluded {\n    fe80::1/64\n  }\n}\n");
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->instances.size(), 2u);
  EXPECT_EQ(facts->instances[0].state, "MASTER");
  EXPECT_THAT(facts->instances[0].addresses, ElementsAre("10.1.1.1"));
  EXPECT_EQ(facts->instances[1].priority, 90u);
  EXPECT_FALSE(facts->instances[1].nopreempt) << "a later `preempt` clears nopreempt";
  EXPECT_EQ(facts->instances[1].preempt_delay_s, 30u);
  EXPECT_EQ(InstancesWithVip(*facts, "FE80:0::1").size(), 1u);
}

TEST(KeepalivedConfigTest, HostConditionsFollowTheConfigId) {
  const char* text =
      "vrrp_instance V {\n@db1 priority 150\n@db2 priority 100\n@^db1 nopreempt\n"
      " virtual_ipaddress {\n  10.0.0.100\n }\n}\n";
  auto on_db1 = ReadOne(text, "db1");
  auto on_db2 = ReadOne(text, "db2");
  ASSERT_TRUE(on_db1.ok() && on_db2.ok());
  EXPECT_EQ(on_db1->instances[0].priority, 150u);
  EXPECT_FALSE(on_db1->instances[0].nopreempt);
  EXPECT_EQ(on_db2->instances[0].priority, 100u);
  EXPECT_TRUE(on_db2->instances[0].nopreempt);
}

TEST(KeepalivedConfigTest, MacrosAreReportedNotGuessed) {
  auto facts = ReadOne(
      "$PRIO=150\nvrrp_instance V {\n priority $PRIO\n virtual_ipaddress {\n 10.0.0.1\n"
      " }\n}\n");
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_TRUE(facts->unevaluated);
  EXPECT_EQ(facts->instances[0].priority, 100u);
}

TEST(KeepalivedConfigTest, IncludesRelativeToTheIncludingFile) {
  FakeFiles f;
  f.files["/etc/keepalived/keepalived.conf"] = "global_defs {\n}\ninclude conf.d/*.conf\n";
  f.files["/etc/keepalived/conf.d/a.conf"] =
      "vrrp_instance DB {\n priority 120\n virtual_ipaddress {\n  10.0.0.100\n }\n}\n";
  f.files["/etc/keepalived/conf.d/b.conf"] = "include /etc/keepalived/missing-*.conf\n";
  auto facts = ReadKeepalivedConfig("/etc/keepalived/keepalived.conf", f, "db1");
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_THAT(facts->files,
              ElementsAre("/etc/keepalived/keepalived.conf", "/etc/keepalived/conf.d/a.conf",
                          "/etc/keepalived/conf.d/b.conf"));
  ASSERT_EQ(facts->instances.size(), 1u);
  EXPECT_EQ(facts->instances[0].origin, "/etc/keepalived/conf.d/a.conf:1");
}

TEST(KeepalivedConfigTest, IncludeLoopIsBounded) {
  FakeFiles f;
  f.files["/k/keepalived.conf"] = "include /k/keepalived.conf\n";
  auto facts = ReadKeepalivedConfig("/k/keepalived.conf", f, "db1");
  ASSERT_FALSE(facts.ok());
  EXPECT_THAT(facts.status().message(), HasSubstr("a loop?"));
}

TEST(KeepalivedConfigTest, UnbalancedBracesNameTheLine) {
  auto open = ReadOne("vrrp_instance V {\n priority 1\n");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().message(), "/etc/keepalived/keepalived.conf:1: '{' is never closed");
  auto close = ReadOne("global_defs {\n}\n}\n");
  ASSERT_FALSE(close.ok());
  EXPECT_EQ(close.status().message(),
            "/etc/keepalived/keepalived.conf:3: '}' without a matching '{'");
}

TEST(KeepalivedConfigTest, RealFilesAndPidFile) {
  testing_util::TempDir dir;
  std::string main = dir.Write("keepalived.conf", "include parts/*.conf\n");
  ASSERT_EQ(::mkdir(dir.File("parts").c_str(), 0755), 0);
  dir.Write("parts/x.conf", "vrrp_instance X {\n virtual_ipaddress {\n 10.9.9.9\n }\n}\n");
  RealConfigFiles files;
  auto facts = ReadKeepalivedConfig(main, files, "h");
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->instances.size(), 1u);
  auto missing = ReadKeepalivedConfig(dir.File("nope.conf"), files, "h");
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot read " + dir.File("nope.conf")));

  EXPECT_EQ(ReadLivePid(dir.Write("self.pid", absl::StrCat(::getpid(), "\n"))), ::getpid());
  EXPECT_EQ(ReadLivePid(dir.Write("garbage.pid", "twelve\n")), 0);
  EXPECT_EQ(ReadLivePid(dir.File("absent.pid")), 0);
  EXPECT_EQ(ReadLivePid(""), 0);
}

// ---------- what GetStatus reports ----------

KeepalivedSettings Settings(const std::string& vip) {
  KeepalivedSettings s;
  s.control = "command";
  s.vip = vip;
  s.config_file = "/etc/keepalived/keepalived.conf";
  return s;
}

TEST(KeepalivedReportTest, DescribesTheVipsInstance) {
  FakeFiles f;
  f.files["/etc/keepalived/keepalived.conf"] = kDebianStyle;
  v1::KeepalivedState out;
  DescribeKeepalivedFiles(Settings("10.0.0.100"), f, "db1", &out);
  EXPECT_EQ(out.config_error(), "");
  EXPECT_EQ(out.config_file(), "/etc/keepalived/keepalived.conf");
  ASSERT_TRUE(out.has_instance());
  EXPECT_EQ(out.instance().name(), "VI_1");
  EXPECT_EQ(out.instance().priority(), 150u);
  EXPECT_TRUE(out.instance().nopreempt());
  EXPECT_TRUE(out.instance().tracked());
  EXPECT_EQ(out.instance().advert_int_ms(), 2000u);
}

TEST(KeepalivedReportTest, SaysWhyNothingIsKnown) {
  FakeFiles f;
  v1::KeepalivedState unreadable;
  DescribeKeepalivedFiles(Settings("10.0.0.100"), f, "db1", &unreadable);
  EXPECT_EQ(unreadable.config_error(), "cannot read /etc/keepalived/keepalived.conf");
  EXPECT_FALSE(unreadable.has_instance());

  f.files["/etc/keepalived/keepalived.conf"] = kDebianStyle;
  v1::KeepalivedState other_vip;
  DescribeKeepalivedFiles(Settings("10.0.0.200"), f, "db1", &other_vip);
  EXPECT_EQ(other_vip.config_error(),
            "no vrrp_instance in /etc/keepalived/keepalived.conf lists the VIP 10.0.0.200");

  f.files["/etc/keepalived/keepalived.conf"] =
      "vrrp_instance A { virtual_ipaddress { 10.0.0.100 } }\n"
      "vrrp_instance B { virtual_ipaddress { 10.0.0.100/32 } }\n";
  v1::KeepalivedState twice;
  DescribeKeepalivedFiles(Settings("10.0.0.100"), f, "db1", &twice);
  EXPECT_EQ(twice.config_error(), "2 vrrp_instances list the VIP 10.0.0.100: A, B");

  KeepalivedSettings none;
  v1::KeepalivedState off;
  DescribeKeepalivedFiles(none, f, "db1", &off);
  EXPECT_EQ(off.config_file(), "");
  EXPECT_EQ(off.config_error(), "");
  EXPECT_EQ(off.pid(), 0u);
}

}  // namespace
}  // namespace mmresync::agent
