#include "agent/schema_reset.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kNoBinlog[] = "SET SESSION sql_log_bin = 0";
constexpr char kSchemata[] = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA";
// The node's own replication filters, read before what to drop or disable is decided.
constexpr char kFilters[] = "SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'";
constexpr char kMasterStatus[] = "SHOW MASTER STATUS";
constexpr char kEvents[] =
    "SELECT EVENT_SCHEMA, EVENT_NAME, DEFINER FROM information_schema.EVENTS "
    "WHERE STATUS = 'ENABLED'";

void ScriptSchemas(FakeDbScript& script) {
  script.OnQuery(kSchemata, Rows({"SCHEMA_NAME"}, {{"information_schema"},
                                                   {"zeta"},
                                                   {"mysql"},
                                                   {"performance_schema"},
                                                   {"sys"},
                                                   {"app"},
                                                   {"we`ird"},
                                                   {std::nullopt},
                                                   {""}}));
}

TEST(DropUserSchemasTest, BinlogOffFirstThenDropsOnlyUserSchemas) {
  FakeDbScript script;
  ScriptSchemas(script);
  FakeDbSession session(&script);
  auto dropped = DropUserSchemas(session);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_THAT(*dropped, ElementsAre("app", "we`ird", "zeta"));
  EXPECT_THAT(script.statements(),
              ElementsAre(kNoBinlog, kFilters, kMasterStatus, kSchemata, "DROP DATABASE `app`",
                          "DROP DATABASE `we``ird`", "DROP DATABASE `zeta`"));
}

TEST(DropUserSchemasTest, NeverDropsSystemSchemas) {
  FakeDbScript script;
  ScriptSchemas(script);
  FakeDbSession session(&script);
  ASSERT_TRUE(DropUserSchemas(session).ok());
  for (const auto& s : script.StatementsStartingWith("DROP")) {
    for (const char* system : {"mysql", "information_schema", "performance_schema", "sys"}) {
      EXPECT_NE(s, absl::StrCat("DROP DATABASE `", system, "`"));
    }
  }
  int no_binlog = script.IndexOf(kNoBinlog);
  int first_drop = script.IndexOfPrefix("DROP");
  ASSERT_GE(no_binlog, 0);
  ASSERT_GE(first_drop, 0);
  EXPECT_LT(no_binlog, first_drop);
}

TEST(DropUserSchemasTest, NothingToDrop) {
  FakeDbScript script;
  script.OnQuery(kSchemata, Rows({"SCHEMA_NAME"}, {{"mysql"}, {"sys"}}));
  FakeDbSession session(&script);
  auto dropped = DropUserSchemas(session);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_THAT(*dropped, IsEmpty());
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

TEST(DropUserSchemasTest, NoDropWhenBinlogCannotBeTurnedOff) {
  // Without sql_log_bin=0 a DROP would reach the binlog, and from there the source.
  FakeDbScript script;
  ScriptSchemas(script);
  script.Fail(kNoBinlog, absl::PermissionDeniedError("ERROR 1227: Access denied; you need SUPER"));
  FakeDbSession session(&script);
  auto dropped = DropUserSchemas(session);
  ASSERT_FALSE(dropped.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(dropped.status()));
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

TEST(DropUserSchemasTest, ListErrorDropsNothing) {
  FakeDbScript script;
  script.Fail(kSchemata, absl::UnavailableError("ERROR 2013: Lost connection"));
  FakeDbSession session(&script);
  EXPECT_FALSE(DropUserSchemas(session).ok());
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

TEST(DropUserSchemasTest, StopsAtFirstFailedDrop) {
  FakeDbScript script;
  ScriptSchemas(script);
  script.Fail("DROP DATABASE `we``ird`", absl::InternalError("ERROR 1010: Error dropping"));
  FakeDbSession session(&script);
  auto dropped = DropUserSchemas(session);
  ASSERT_FALSE(dropped.ok());
  EXPECT_TRUE(absl::IsInternal(dropped.status()));
  EXPECT_THAT(std::string(dropped.status().message()), HasSubstr("drop schema we`ird"));
  EXPECT_THAT(script.StatementsStartingWith("DROP"),
              ElementsAre("DROP DATABASE `app`", "DROP DATABASE `we``ird`"));
}

// replicate_ignore_db: the ignored schema is each node's own; neither dropped nor its
// events touched.
TEST(DropUserSchemasTest, LeavesTheSchemasReplicationIgnores) {
  FakeDbScript script;
  ScriptSchemas(script);
  script.OnQuery(kFilters, Rows({"Variable_name", "Value"}, {{"replicate_ignore_db", "zeta"}}));
  script.OnQuery(kEvents, Rows({"EVENT_SCHEMA", "EVENT_NAME", "DEFINER"},
                               {{"app", "purge", ""}, {"zeta", "local_job", ""}}));
  FakeDbSession session(&script);
  auto dropped = DropUserSchemas(session);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_THAT(*dropped, ElementsAre("app", "we`ird"));
  auto changed = DisableEventsOnReplica(session);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 1);
  for (const std::string& st : script.statements()) {
    EXPECT_THAT(st, ::testing::Not(HasSubstr("zeta"))) << "touched the ignored schema";
  }
}

// A filter a re-seed by schema cannot honour: nothing is dropped.
TEST(DropUserSchemasTest, UnhonourableFilterDropsNothing) {
  FakeDbScript script;
  ScriptSchemas(script);
  script.OnQuery(kFilters,
                 Rows({"Variable_name", "Value"}, {{"replicate_wild_ignore_table", "app.%"}}));
  FakeDbSession session(&script);
  auto dropped = DropUserSchemas(session);
  EXPECT_TRUE(absl::IsFailedPrecondition(dropped.status())) << dropped.status();
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

TEST(DisableEventsOnReplicaTest, KeepsTheDefinerAndSkipsSystemSchemas) {
  FakeDbScript script;
  script.OnQuery(kEvents, Rows({"EVENT_SCHEMA", "EVENT_NAME", "DEFINER"},
                               {{"app", "purge", "admin@%"},
                                {"mysql", "sys_event", "root@localhost"},
                                {"app", "odd`name", "o'brien@10.0.%"},
                                {"app", "at_in_user", "a@b@localhost"},
                                {"app", "no_definer", ""}}));
  FakeDbSession session(&script);
  auto changed = DisableEventsOnReplica(session);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 4);
  EXPECT_THAT(script.statements(),
              ElementsAre(kNoBinlog, kEvents, kFilters, kMasterStatus,
                          "ALTER DEFINER='admin'@'%' EVENT `app`.`purge` DISABLE ON SLAVE",
                          "ALTER DEFINER='o\\'brien'@'10.0.%' EVENT `app`.`odd``name` DISABLE "
                          "ON SLAVE",
                          "ALTER DEFINER='a@b'@'localhost' EVENT `app`.`at_in_user` DISABLE ON "
                          "SLAVE",
                          "ALTER EVENT `app`.`no_definer` DISABLE ON SLAVE"));
}

TEST(DisableEventsOnReplicaTest, NoEvents) {
  FakeDbScript script;
  FakeDbSession session(&script);
  auto changed = DisableEventsOnReplica(session);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, 0);
  EXPECT_THAT(script.StatementsStartingWith("ALTER"), IsEmpty());
}

TEST(DisableEventsOnReplicaTest, NoAlterWithoutBinlogOff) {
  FakeDbScript script;
  script.OnQuery(kEvents,
                 Rows({"EVENT_SCHEMA", "EVENT_NAME", "DEFINER"}, {{"app", "purge", "admin@%"}}));
  script.Fail(kNoBinlog, absl::PermissionDeniedError("denied"));
  FakeDbSession session(&script);
  EXPECT_FALSE(DisableEventsOnReplica(session).ok());
  EXPECT_THAT(script.StatementsStartingWith("ALTER"), IsEmpty());
}

TEST(DisableEventsOnReplicaTest, AlterErrorFails) {
  FakeDbScript script;
  script.OnQuery(kEvents, Rows({"EVENT_SCHEMA", "EVENT_NAME", "DEFINER"},
                               {{"app", "a", "x@%"}, {"app", "b", "x@%"}}));
  script.FailPrefix("ALTER DEFINER='x'@'%' EVENT `app`.`a`", absl::InternalError("ERROR 1539"));
  FakeDbSession session(&script);
  auto changed = DisableEventsOnReplica(session);
  ASSERT_FALSE(changed.ok());
  EXPECT_THAT(script.StatementsStartingWith("ALTER"), ElementsAre(::testing::StartsWith("ALTER")));
}

}  // namespace
}  // namespace mmresync::agent
