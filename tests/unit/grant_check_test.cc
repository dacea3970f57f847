#include "agent/grant_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kVersion[] = "10.11.6-MariaDB-0+deb12u1-log";

TEST(GrantCheckTest, OnlyGlobalGrantsCountAndGrantOptionIsSeen) {
  auto held = GlobalPrivileges(
      {"GRANT ALL PRIVILEGES ON *.* TO `a`@`localhost` IDENTIFIED BY PASSWORD '*AB' WITH GRANT "
       "OPTION",
       "GRANT SELECT, INSERT ON `shop`.* TO `a`@`localhost`", "GRANT `role1` TO `a`@`localhost`",
       "GRANT PROXY ON ''@'%' TO 'a'@'localhost' WITH GRANT OPTION"});
  EXPECT_THAT(held, ElementsAre("ALL PRIVILEGES", "GRANT OPTION"));
  EXPECT_THAT(MissingAgentPrivileges(held, kVersion), IsEmpty());
}

TEST(GrantCheckTest, AllPrivilegesWithoutGrantOptionLacksOnlyGrantOption) {
  auto held = GlobalPrivileges({"GRANT ALL PRIVILEGES ON *.* TO `a`@`localhost`"});
  EXPECT_THAT(MissingAgentPrivileges(held, kVersion), ElementsAre("GRANT OPTION"));
}

TEST(GrantCheckTest, AnExplicitListNamesWhatIsMissing) {
  auto held = GlobalPrivileges(
      {"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, INDEX, ALTER, SHOW "
       "DATABASES, SUPER, CREATE TEMPORARY TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE "
       "ROUTINE, ALTER ROUTINE, CREATE USER, TRIGGER ON *.* TO `a`@`localhost` WITH GRANT "
       "OPTION"});
  // No LOCK TABLES, no EVENT; SUPER covers the replication and binlog privileges before
  // 11.0 but READ_ONLY ADMIN only before 10.11.
  EXPECT_THAT(MissingAgentPrivileges(held, kVersion),
              ElementsAre("LOCK TABLES", "EVENT", "READ_ONLY ADMIN"));
  EXPECT_THAT(MissingAgentPrivileges(held, "10.6.12-MariaDB"), ElementsAre("LOCK TABLES", "EVENT"));
  EXPECT_THAT(MissingAgentPrivileges(held, "11.4.2-MariaDB"),
              ElementsAre("LOCK TABLES", "EVENT", "BINLOG MONITOR", "REPLICATION SLAVE ADMIN",
                          "BINLOG ADMIN", "READ_ONLY ADMIN"));
}

TEST(GrantCheckTest, ReplicationNeedsReplicationSlave) {
  EXPECT_THAT(MissingReplicationPrivileges(GlobalPrivileges(
                  {"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `repl`@`%`"})),
              IsEmpty());
  EXPECT_THAT(MissingReplicationPrivileges(
                  GlobalPrivileges({"GRANT REPLICATION CLIENT ON *.* TO `repl`@`%`"})),
              ElementsAre("REPLICATION SLAVE"));
}

TEST(GrantCheckTest, CollectReportsAccountsMissingAndErrors) {
  FakeDbScript script;
  script.OnQuery("SELECT CURRENT_USER()", Rows({"CURRENT_USER()"}, {{"agent@localhost"}}));
  script.OnQuery("SHOW GRANTS FOR CURRENT_USER()",
                 Rows({"Grants"}, {{"GRANT ALL PRIVILEGES ON *.* TO `agent`@`localhost`"}}));
  script.OnQuery("SELECT Host FROM mysql.user WHERE User = 'repl' ORDER BY Host",
                 Rows({"Host"}, {{"10.0.0.2"}}));
  script.OnQuery("SHOW GRANTS FOR 'repl'@'10.0.0.2'",
                 Rows({"Grants"}, {{"GRANT USAGE ON *.* TO `repl`@`10.0.0.2`"}}));
  FakeDbSession session(&script);
  v1::NodeStatus status;
  CollectPrivilegeFacts(session, "repl", kVersion, &status);
  EXPECT_THAT(status.agent_privileges().accounts(), ElementsAre("agent@localhost"));
  EXPECT_THAT(status.agent_privileges().missing(), ElementsAre("GRANT OPTION"));
  EXPECT_THAT(status.repl_privileges().accounts(), ElementsAre("repl@10.0.0.2"));
  EXPECT_THAT(status.repl_privileges().missing(), ElementsAre("REPLICATION SLAVE"));
  EXPECT_TRUE(status.repl_privileges().error().empty());
}

TEST(GrantCheckTest, UnreadableGrantsAreAnErrorNotAPass) {
  FakeDbScript script;
  script.strict_queries = true;  // every query fails
  FakeDbSession session(&script);
  v1::NodeStatus status;
  CollectPrivilegeFacts(session, "repl", kVersion, &status);
  EXPECT_FALSE(status.agent_privileges().error().empty());
  EXPECT_FALSE(status.repl_privileges().error().empty());
  EXPECT_THAT(status.agent_privileges().missing(), IsEmpty());
}

}  // namespace
}  // namespace mmresync::agent
