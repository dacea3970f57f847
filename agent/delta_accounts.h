#pragma once

// The accounts and roles a delta repair compares by definition: each as SHOW CREATE USER
// and SHOW GRANTS give it (accounts.h), the source's read under BLOCK_COMMIT with its
// snapshot. Two are equal when their SHOW CREATE USER and their sets of grants are.
//
// Never compared nor changed, on either side: the accounts the source's agent does not
// carry (its agent and replication users, built-in and anonymous ones) and the same of
// the target's own filter. So a repair never drops or re-creates the account either
// agent connects with nor the account the target replicates with, whatever the other
// node holds under those names (README, "Delta repair").
//
// A role that is replaced (dropped and created) is revoked from whoever held it, and
// granting a role takes its ADMIN OPTION, which the agent's account holds only on roles
// it created: so every account that holds a replaced role on the source, and every role
// a replaced account holds there, is replaced too.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/accounts.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

using AccountDefs = std::vector<v1::AccountDefinition>;

// `accounts` without those `filter` does not carry and those whose user is in `kept_users`.
AccountDefs ComparableAccounts(const AccountDefs& accounts, const AccountFilter& filter,
                               const std::vector<std::string>& kept_users);

struct AccountChanges {
  AccountDefs drop;    // the target's own: differing, only on the target, or pulled in
  AccountDefs create;  // the source's: differing, only on the source, or pulled in
  size_t changed = 0;  // accounts the repair drops, re-creates or creates
  bool empty() const { return changed == 0; }
};
AccountChanges DiffAccounts(const AccountDefs& source, const AccountDefs& target);

// "user 'u'@'h'", "role 'r'".
std::string AccountLabel(DbSession& session, const v1::AccountDefinition& account);

// DROP USER / DROP ROLE of each (IF EXISTS with `if_exists`).
std::vector<std::string> DropAccountStatements(DbSession& session, const AccountDefs& accounts,
                                               bool if_exists);

// CREATE ROLE of each role, then the roles' grants, then each user's CREATE USER and
// grants, in the server's order (SET DEFAULT ROLE after the role's grant).
struct AccountStatement {
  const v1::AccountDefinition* account;  // in the list given
  std::string sql;
};
std::vector<AccountStatement> CreateAccountStatements(DbSession& session,
                                                      const AccountDefs& accounts);

// What puts the target's accounts back as they were before `changes`: the drop of every
// account the repair created or re-created, then the target's old ones. ';'-terminated.
std::string AccountsRestoreSql(DbSession& session, const AccountChanges& changes);

// On `session` (sql_log_bin=0): drops `changes.drop`, then creates `changes.create`.
absl::Status ReplaceAccounts(DbSession& session, const AccountChanges& changes);

}  // namespace mmresync::agent
