#include "coordinator/preflight_checks.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A pair as production runs it: every check passes.
v1::NodeStatus Node(const std::string& name, uint32_t offset) {
  v1::NodeStatus s;
  s.set_node(name);
  s.set_version("10.11.19-MariaDB-0+deb12u1-log");
  s.set_binlog_format("ROW");
  s.set_log_slave_updates(true);
  s.set_auto_increment_increment(2);
  s.set_auto_increment_offset(offset);
  s.set_max_allowed_packet(64 << 20);
  s.mutable_agent_privileges()->add_accounts("mmresync_agent@localhost");
  s.mutable_repl_privileges()->add_accounts("repl@10.0.0.2");
  return s;
}

class PreflightChecksTest : public ::testing::Test {
 protected:
  const PreflightCheck& Row(const std::string& name, const std::string& method = "logical") {
    checks_ = ConfigurationChecks(s_, t_, method);
    for (const PreflightCheck& c : checks_) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no check " << name;
    static const PreflightCheck kMissing;
    return kMissing;
  }
  v1::NodeStatus s_ = Node("db1", 1);
  v1::NodeStatus t_ = Node("db2", 2);
  std::vector<PreflightCheck> checks_;
};

TEST_F(PreflightChecksTest, AProductionShapedPairPassesEveryNamedCheck) {
  checks_ = ConfigurationChecks(s_, t_, "logical");
  std::vector<std::string> names;
  for (const PreflightCheck& c : checks_) {
    names.push_back(c.name);
    EXPECT_EQ(c.result, CheckResult::kPass) << c.name << ": " << c.detail;
  }
  EXPECT_THAT(names, ::testing::ElementsAre(
                         "auto_increment", "binlog_format", "log_slave_updates",
                         "max_allowed_packet", "version", "replication filters identical",
                         "replication filters honoured", "privileges db1", "privileges db2"));
  EXPECT_FALSE(AnyFailed(checks_));
}

TEST_F(PreflightChecksTest, SameOffsetWithIncrementAboveOneFails) {
  t_.set_auto_increment_offset(1);
  const PreflightCheck& c = Row("auto_increment");
  EXPECT_EQ(c.result, CheckResult::kFail);
  EXPECT_THAT(c.detail, AllOf(HasSubstr("offset 1 (db1) / 1 (db2)"), HasSubstr("collide")));
  EXPECT_TRUE(AnyFailed(checks_));
  // Offsets equal modulo the increment generate the same values too.
  t_.set_auto_increment_offset(3);
  EXPECT_EQ(Row("auto_increment").result, CheckResult::kFail);
}

TEST_F(PreflightChecksTest, IncrementOneOnBothWarns) {
  s_.set_auto_increment_increment(1);
  t_.set_auto_increment_increment(1);
  s_.set_auto_increment_offset(1);
  t_.set_auto_increment_offset(1);
  const PreflightCheck& c = Row("auto_increment");
  EXPECT_EQ(c.result, CheckResult::kWarn);
  EXPECT_FALSE(AnyFailed(checks_));
}

TEST_F(PreflightChecksTest, BinlogFormatDifferentOrStatementWarns) {
  t_.set_binlog_format("MIXED");
  EXPECT_EQ(Row("binlog_format").result, CheckResult::kWarn);
  t_.set_binlog_format("STATEMENT");
  s_.set_binlog_format("STATEMENT");
  EXPECT_EQ(Row("binlog_format").result, CheckResult::kWarn);
  EXPECT_FALSE(AnyFailed(checks_));
}

TEST_F(PreflightChecksTest, LogSlaveUpdatesOffWarnsNamingTheNode) {
  t_.set_log_slave_updates(false);
  const PreflightCheck& c = Row("log_slave_updates");
  EXPECT_EQ(c.result, CheckResult::kWarn);
  EXPECT_THAT(c.detail, HasSubstr("OFF on db2"));
}

TEST_F(PreflightChecksTest, TargetPacketSmallerThanSourceFails) {
  t_.set_max_allowed_packet(16 << 20);
  const PreflightCheck& c = Row("max_allowed_packet");
  EXPECT_EQ(c.result, CheckResult::kFail);
  EXPECT_THAT(c.detail, HasSubstr("at least 67108864"));
  s_.set_max_allowed_packet(1 << 20);
  EXPECT_EQ(Row("max_allowed_packet").result, CheckResult::kPass);
}

TEST_F(PreflightChecksTest, DifferentMajorVersionWarnsAndFailsForPhysical) {
  t_.set_version("10.6.18-MariaDB-log");
  EXPECT_EQ(Row("version").result, CheckResult::kWarn);
  EXPECT_THAT(Row("version").detail, HasSubstr("10.11 (db1) / 10.6 (db2)"));
  EXPECT_EQ(Row("version", "physical").result, CheckResult::kFail);
  // A patch release apart is the same major version.
  t_.set_version("10.11.6-MariaDB");
  EXPECT_EQ(Row("version", "physical").result, CheckResult::kPass);
}

TEST_F(PreflightChecksTest, DifferentFiltersFailWithBothValues) {
  s_.add_replication_filters("replicate_ignore_db=local_a");
  t_.add_replication_filters("replicate_ignore_db=local_b");
  const PreflightCheck& c = Row("replication filters identical");
  EXPECT_EQ(c.result, CheckResult::kFail);
  EXPECT_THAT(c.detail, AllOf(HasSubstr("db1: replicate_ignore_db=local_a"),
                              HasSubstr("db2: replicate_ignore_db=local_b")));
}

// Identical replicate_ignore_db / replicate_do_db: logical and dump re-seed only the
// schemas replication carries; physical copies the whole datadir and is refused.
TEST_F(PreflightChecksTest, SchemaFiltersAreHonouredByLogicalAndDumpNotPhysical) {
  s_.add_replication_filters("replicate_ignore_db=local");
  t_.add_replication_filters("replicate_ignore_db=local");
  EXPECT_EQ(Row("replication filters identical").result, CheckResult::kPass);
  for (const char* method : {"logical", "dump", "auto"}) {
    const PreflightCheck& c = Row("replication filters honoured", method);
    EXPECT_EQ(c.result, CheckResult::kPass) << method;
    EXPECT_THAT(c.detail, AllOf(HasSubstr("replicate_ignore_db=local"),
                                HasSubstr("ignores stay as they are on db2")))
        << method;
  }
  const PreflightCheck& physical = Row("replication filters honoured", "physical");
  EXPECT_EQ(physical.result, CheckResult::kFail);
  EXPECT_THAT(physical.detail, AllOf(HasSubstr("whole datadir"), HasSubstr("--method logical")));
}

// Filters by table, pattern or default database cannot be reproduced by schema.
TEST_F(PreflightChecksTest, FiltersNotBySchemaAreRefusedWithTheirValues) {
  for (const char* f : {"replicate_wild_ignore_table=local.%", "replicate_ignore_table=a.b",
                        "binlog_ignore_db=x", "replicate_rewrite_db=a->b"}) {
    s_.clear_replication_filters();
    t_.clear_replication_filters();
    s_.add_replication_filters(f);
    t_.add_replication_filters(f);
    const PreflightCheck& c = Row("replication filters honoured", "dump");
    EXPECT_EQ(c.result, CheckResult::kFail) << f;
    EXPECT_THAT(c.detail, AllOf(HasSubstr(absl::StrCat("db1: ", f)), HasSubstr("by hand"))) << f;
  }
}

TEST_F(PreflightChecksTest, RenderedRowsNameEachCheckAndItsResult) {
  t_.set_auto_increment_offset(1);
  std::string text = RenderChecks(ConfigurationChecks(s_, t_, "logical"));
  EXPECT_THAT(text, HasSubstr("  FAIL  auto_increment"));
  EXPECT_THAT(text, HasSubstr("  pass  binlog_format"));
}

// Issue 11: a missing grant is named with its account and refuses the run; grants that
// could not be read refuse too (nothing was decided); an older agent only warns.
TEST_F(PreflightChecksTest, AMissingPrivilegeFailsNamingItAndTheAccount) {
  t_.mutable_agent_privileges()->add_missing("LOCK TABLES");
  t_.mutable_agent_privileges()->add_missing("EVENT");
  const PreflightCheck& c = Row("privileges db2");
  EXPECT_EQ(c.result, CheckResult::kFail);
  EXPECT_THAT(c.detail,
              HasSubstr("the agent's account mmresync_agent@localhost lacks LOCK TABLES, EVENT"));
  EXPECT_EQ(Row("privileges db1").result, CheckResult::kPass);
  EXPECT_TRUE(AnyFailed(checks_));
}

TEST_F(PreflightChecksTest, AMissingReplicationAccountOrGrantFails) {
  s_.mutable_repl_privileges()->add_missing("REPLICATION SLAVE");
  EXPECT_THAT(Row("privileges db1").detail,
              HasSubstr("the replication account repl@10.0.0.2 lacks REPLICATION SLAVE"));
  s_.mutable_repl_privileges()->Clear();
  s_.mutable_repl_privileges()->add_missing("REPLICATION SLAVE");
  EXPECT_EQ(Row("privileges db1").result, CheckResult::kFail);
  EXPECT_THAT(Row("privileges db1").detail, HasSubstr("no account named as agent.toml's"));
}

TEST_F(PreflightChecksTest, UnreadableGrantsFailAndAnOlderAgentWarns) {
  t_.mutable_agent_privileges()->set_error("SHOW GRANTS: Access denied");
  EXPECT_EQ(Row("privileges db2").result, CheckResult::kFail);
  EXPECT_THAT(Row("privileges db2").detail, HasSubstr("could not be read: SHOW GRANTS: Access"));
  t_.clear_agent_privileges();
  t_.clear_repl_privileges();
  EXPECT_EQ(Row("privileges db2").result, CheckResult::kWarn);
}

}  // namespace
}  // namespace mmresync::coordinator
