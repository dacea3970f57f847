#include "agent/delta_accounts.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

v1::AccountDefinition User(const std::string& name, std::vector<std::string> grants) {
  v1::AccountDefinition a;
  a.set_user(name);
  a.set_host("%");
  a.set_create_sql("CREATE USER `" + name + "`@`%`");
  for (auto& g : grants) a.add_grants(std::move(g));
  return a;
}

v1::AccountDefinition Role(const std::string& name, std::vector<std::string> grants) {
  v1::AccountDefinition a;
  a.set_user(name);
  a.set_is_role(true);
  for (auto& g : grants) a.add_grants(std::move(g));
  return a;
}

std::set<std::string> Names(const AccountDefs& accounts) {
  std::set<std::string> out;
  for (const auto& a : accounts) out.insert(a.user());
  return out;
}

TEST(DiffAccountsTest, TheSameGrantsInAnotherOrderAreEqual) {
  AccountDefs source = {
      User("app", {"GRANT USAGE ON *.* TO `app`@`%`", "GRANT SELECT ON `db`.* TO `app`@`%`"})};
  AccountDefs target = {
      User("app", {"GRANT SELECT ON `db`.* TO `app`@`%`", "GRANT USAGE ON *.* TO `app`@`%`"})};
  EXPECT_TRUE(DiffAccounts(source, target).empty());
}

TEST(DiffAccountsTest, AReplacedRoleBringsItsHoldersAndAReplacedUserItsRoles) {
  const std::string holds_r = "GRANT `r` TO `app`@`%`";
  AccountDefs source = {Role("r", {"GRANT SELECT ON `db`.* TO `r`"}),
                        Role("other", {"GRANT USAGE ON *.* TO `other`"}),
                        User("app", {holds_r, "GRANT INSERT ON `db`.`t` TO `app`@`%`"}),
                        User("ro", {"GRANT `r` TO `ro`@`%`"}),
                        User("plain", {"GRANT USAGE ON *.* TO `plain`@`%`"})};
  AccountDefs target = source;
  target[2] = User("app", {holds_r, "GRANT DELETE ON `db`.`t` TO `app`@`%`"});
  target.push_back(User("extra", {}));
  AccountChanges changes = DiffAccounts(source, target);
  // app differs; r is a role app holds; ro holds r; extra is only on the target.
  EXPECT_EQ(Names(changes.create), (std::set<std::string>{"app", "r", "ro"}));
  EXPECT_EQ(Names(changes.drop), (std::set<std::string>{"app", "r", "ro", "extra"}));
  EXPECT_EQ(changes.changed, 4u);
}

TEST(DiffAccountsTest, ADefaultRoleTheAccountNoLongerHoldsIsLeftOut) {
  AccountDefs source = {User("app", {"GRANT USAGE ON *.* TO `app`@`%`"})};
  AccountDefs target = {
      User("app", {"GRANT USAGE ON *.* TO `app`@`%`", "SET DEFAULT ROLE `gone` FOR `app`@`%`"})};
  EXPECT_TRUE(DiffAccounts(source, target).empty());
  // Held, it counts.
  target[0].add_grants("GRANT `gone` TO `app`@`%`");
  EXPECT_FALSE(DiffAccounts(source, target).empty());
}

TEST(ComparableAccountsTest, EitherNodesAgentAndReplicationUsersAreLeftAlone) {
  AccountDefs all = {User("agent_b", {}), User("repl", {}), User("agent_a", {}), User("app", {}),
                     Role("r", {})};
  AccountFilter mine{"agent_b", "repl"};
  EXPECT_EQ(Names(ComparableAccounts(all, mine, {"agent_a", "repl"})),
            (std::set<std::string>{"app", "r"}));
}

}  // namespace
}  // namespace mmresync::agent
