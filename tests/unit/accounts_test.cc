#include "agent/accounts.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kUsersQuery[] = "SELECT User, Host, is_role FROM mysql.user ORDER BY User, Host";

const AccountFilter kFilter{"mmresync", "repl"};

TEST(IsCarriedAccountTest, Rules) {
  // Ordinary accounts travel.
  EXPECT_TRUE(IsCarriedAccount(kFilter, "app", "%"));
  EXPECT_TRUE(IsCarriedAccount(kFilter, "app", "10.0.%"));
  EXPECT_TRUE(IsCarriedAccount(kFilter, "app", "localhost"));
  // root is carried unless it is a host-local install-time account.
  EXPECT_TRUE(IsCarriedAccount(kFilter, "root", "%"));
  EXPECT_TRUE(IsCarriedAccount(kFilter, "root", "10.0.0.5"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "root", "localhost"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "root", "127.0.0.1"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "root", "::1"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "mysql", "localhost"));
  EXPECT_TRUE(IsCarriedAccount(kFilter, "mysql", "%"));
  // Anonymous accounts never.
  EXPECT_FALSE(IsCarriedAccount(kFilter, "", "%"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "", "localhost"));
  // The agent's own and the replication user: each node keeps its own, on any host.
  EXPECT_FALSE(IsCarriedAccount(kFilter, "mmresync", "localhost"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "mmresync", "%"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "repl", "%"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "repl", "10.0.0.2"));
  // Built-in accounts.
  EXPECT_FALSE(IsCarriedAccount(kFilter, "mariadb.sys", "localhost"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "mysql.sys", "localhost"));
  EXPECT_FALSE(IsCarriedAccount(kFilter, "mysql.session", "localhost"));
  // Names are compared exactly.
  EXPECT_TRUE(IsCarriedAccount(kFilter, "Repl", "%"));
  EXPECT_TRUE(IsCarriedAccount(kFilter, "repl2", "%"));
}

TEST(IsCarriedAccountTest, CustomFilterNames) {
  AccountFilter filter{"agent_x", "replicator"};
  EXPECT_FALSE(IsCarriedAccount(filter, "agent_x", "%"));
  EXPECT_FALSE(IsCarriedAccount(filter, "replicator", "%"));
  EXPECT_TRUE(IsCarriedAccount(filter, "repl", "%"));
  EXPECT_TRUE(IsCarriedAccount(filter, "mmresync", "%"));
}

// A server with every kind of account the export has to handle.
void ScriptServer(FakeDbScript& script) {
  script.strict_queries = true;
  script.OnQuery(kUsersQuery,
                 Rows({"User", "Host", "is_role"}, {
                                                       {"", "localhost", "N"},
                                                       {"app", "%", "N"},
                                                       {"mariadb.sys", "localhost", "N"},
                                                       {"mmresync", "localhost", "N"},
                                                       {"o'brien", "10.0.%", "N"},
                                                       {"proxied", "%", "N"},
                                                       {"repl", "%", "N"},
                                                       {"reporting", "", "Y"},
                                                       {"root", "db2", "N"},
                                                       {"root", "localhost", "N"},
                                                   }));
  script.OnQuery(
      "SHOW CREATE USER 'app'@'%'",
      Rows({"CREATE USER for app@%"}, {{"CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*AAAA'"}}));
  script.OnQuery("SHOW GRANTS FOR 'app'@'%'",
                 Rows({"Grants for app@%"},
                      {{"GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AAAA'"},
                       {"GRANT ALL PRIVILEGES ON `app`.* TO `app`@`%`"},
                       {std::nullopt}}));
  script.OnQuery("SHOW CREATE USER 'o\\'brien'@'10.0.%'",
                 Rows({"CREATE USER"}, {{"CREATE USER `o'brien`@`10.0.%`"}}));
  script.OnQuery("SHOW GRANTS FOR 'o\\'brien'@'10.0.%'",
                 Rows({"Grants"}, {{"GRANT SELECT ON `app`.* TO `o'brien`@`10.0.%`"}}));
  script.OnQuery("SHOW CREATE USER 'proxied'@'%'",
                 Rows({"CREATE USER"}, {{"CREATE USER `proxied`@`%`"}}));
  script.OnQuery("SHOW GRANTS FOR 'proxied'@'%'",
                 Rows({"Grants"}, {{"GRANT USAGE ON *.* TO `proxied`@`%`"},
                                   {"GRANT PROXY ON ''@'%' TO 'proxied'@'%'"}}));
  script.OnQuery("SHOW GRANTS FOR 'reporting'",
                 Rows({"Grants for reporting"}, {{"GRANT USAGE ON *.* TO `reporting`"},
                                                 {"GRANT SELECT ON `app`.* TO `reporting`"}}));
  script.Fail("SHOW CREATE USER 'root'@'db2'",
              absl::NotFoundError("mariadb at /run/mysqld/mysqld.sock: ERROR 1133 (28000): "
                                  "Can't find any matching row in the user table"));
}

TEST(ExportAccountsTest, StatementsForCarriedAccounts) {
  FakeDbScript script;
  ScriptServer(script);
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->accounts, 3);
  EXPECT_EQ(out->roles, 1);
  EXPECT_EQ(out->sql,
            "-- accounts and grants (mmresync: SHOW CREATE USER / SHOW GRANTS)\n"
            "-- roles first: users' grants name them\n"
            "CREATE OR REPLACE ROLE 'reporting';\n"
            "GRANT USAGE ON *.* TO `reporting`;\n"
            "GRANT SELECT ON `app`.* TO `reporting`;\n"
            "DROP USER IF EXISTS 'app'@'%';\n"
            "CREATE USER `app`@`%` IDENTIFIED BY PASSWORD '*AAAA';\n"
            "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*AAAA';\n"
            "GRANT ALL PRIVILEGES ON `app`.* TO `app`@`%`;\n"
            "DROP USER IF EXISTS 'o\\'brien'@'10.0.%';\n"
            "CREATE USER `o'brien`@`10.0.%`;\n"
            "GRANT SELECT ON `app`.* TO `o'brien`@`10.0.%`;\n"
            "DROP USER IF EXISTS 'proxied'@'%';\n"
            "CREATE USER `proxied`@`%`;\n"
            "GRANT USAGE ON *.* TO `proxied`@`%`;\n"
            "FLUSH PRIVILEGES;\n");
}

TEST(ExportAccountsTest, SkippedAccountsAreReported) {
  FakeDbScript script;
  ScriptServer(script);
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->skipped.size(), 2u);
  EXPECT_THAT(out->skipped[0], AllOf(StartsWith("'proxied'@'%'"), HasSubstr("PROXY")));
  EXPECT_THAT(out->skipped[1], AllOf(StartsWith("'root'@'db2'"), HasSubstr("ERROR 1133")));
  EXPECT_THAT(out->sql, Not(HasSubstr("PROXY")));
  EXPECT_THAT(out->sql, Not(HasSubstr("'root'@'db2'")));
}

TEST(ExportAccountsTest, FilteredAccountsAreNeverRead) {
  FakeDbScript script;
  ScriptServer(script);
  FakeDbSession session(&script);
  ASSERT_TRUE(ExportAccounts(session, kFilter).ok());
  std::vector<std::string> shown = script.StatementsStartingWith("SHOW ");
  EXPECT_THAT(shown,
              ElementsAre("SHOW GRANTS FOR 'reporting'", "SHOW CREATE USER 'app'@'%'",
                          "SHOW GRANTS FOR 'app'@'%'", "SHOW CREATE USER 'o\\'brien'@'10.0.%'",
                          "SHOW GRANTS FOR 'o\\'brien'@'10.0.%'", "SHOW CREATE USER 'proxied'@'%'",
                          "SHOW GRANTS FOR 'proxied'@'%'", "SHOW CREATE USER 'root'@'db2'"));
  // Only reads: the export never changes the server.
  for (const auto& s : script.statements()) {
    EXPECT_TRUE(absl::StartsWith(s, "SHOW ") || s == kUsersQuery) << s;
  }
}

TEST(ExportAccountsTest, OnlyTheHeaderAndFlushWhenNothingIsCarried) {
  FakeDbScript script;
  script.strict_queries = true;
  script.OnQuery(kUsersQuery, Rows({"User", "Host", "is_role"},
                                   {{"root", "localhost", "N"}, {"repl", "%", "N"}}));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->accounts, 0);
  EXPECT_THAT(out->skipped, IsEmpty());
  EXPECT_EQ(out->sql,
            "-- accounts and grants (mmresync: SHOW CREATE USER / SHOW GRANTS)\n"
            "FLUSH PRIVILEGES;\n");
}

TEST(ExportAccountsTest, PublicIsNotARoleToCreate) {
  FakeDbScript script;
  script.strict_queries = true;
  script.OnQuery(kUsersQuery, Rows({"User", "Host", "is_role"}, {{"PUBLIC", "", "Y"}}));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->roles, 0);
  EXPECT_THAT(out->sql, Not(HasSubstr("PUBLIC")));
  EXPECT_THAT(out->skipped, ElementsAre(HasSubstr("PUBLIC")));
}

TEST(ExportAccountsTest, RoleReadErrorFailsNamingTheRole) {
  FakeDbScript script;
  ScriptServer(script);
  script.Fail("SHOW GRANTS FOR 'reporting'", absl::UnavailableError("ERROR 2013: Lost connection"));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("reading role 'reporting'"));
}

TEST(ExportAccountsTest, OtherErrorsFail) {
  FakeDbScript script;
  ScriptServer(script);
  script.Fail("SHOW GRANTS FOR 'app'@'%'",
              absl::PermissionDeniedError("ERROR 1044 (42000): Access denied for user"));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(out.status())) << out.status();
  EXPECT_THAT(std::string(out.status().message()),
              AllOf(HasSubstr("'app'@'%'"), HasSubstr("ERROR 1044")));
}

TEST(ExportAccountsTest, ShowCreateUserErrorOtherThan1133Fails) {
  FakeDbScript script;
  ScriptServer(script);
  script.Fail("SHOW CREATE USER 'proxied'@'%'",
              absl::UnavailableError("ERROR 2013 (HY000): Lost connection to server"));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::IsUnavailable(out.status())) << out.status();
}

TEST(ExportAccountsTest, UserListErrorFails) {
  FakeDbScript script;
  script.Fail(kUsersQuery, absl::PermissionDeniedError("ERROR 1142: SELECT command denied"));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(out.status()));
}

TEST(ExportAccountsTest, EmptyShowCreateUserIsAnError) {
  FakeDbScript script;
  script.strict_queries = true;
  script.OnQuery(kUsersQuery, Rows({"User", "Host", "is_role"}, {{"app", "%", "N"}}));
  script.OnQuery("SHOW CREATE USER 'app'@'%'", Rows({"CREATE USER"}, {}));
  script.OnQuery("SHOW GRANTS FOR 'app'@'%'", Rows({"Grants"}, {}));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("returned nothing"));
}

TEST(ExportAccountsTest, AccountNamesAreEscaped) {
  FakeDbScript script;
  script.OnQuery(kUsersQuery,
                 Rows({"User", "Host", "is_role"}, {{"x'; DROP DATABASE app; --", "%", "N"}}));
  script.OnQueryPrefix("SHOW CREATE USER ", Rows({"CREATE USER"}, {{"CREATE USER `x`@`%`"}}));
  FakeDbSession session(&script);
  auto out = ExportAccounts(session, kFilter);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->sql, HasSubstr("DROP USER IF EXISTS 'x\\'; DROP DATABASE app; --'@'%';\n"));
  EXPECT_THAT(script.escaped(), Contains("x'; DROP DATABASE app; --"));
}

}  // namespace
}  // namespace mmresync::agent
