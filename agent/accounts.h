#pragma once

// Users and grants travel as statements (SHOW CREATE USER / SHOW GRANTS replayed on the
// target), never by copying the mysql schema's tables: mysql.user is a view since 10.4,
// and `mariadb-dump --system=users` fails on common 10.11 configurations (DESIGN.md).

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct AccountExport {
  std::string sql;   // roles, then DROP USER IF EXISTS + CREATE USER + GRANTs; ';'-terminated
  int accounts = 0;  // users
  int roles = 0;
  std::vector<std::string> skipped;  // "'u'@'h' (why)", for the operator
};

// Accounts never carried: the agent's own and the replication user (each node keeps
// its own so replication and the agent keep working), the server's built-in accounts
// and anonymous accounts. Roles are carried first (CREATE OR REPLACE ROLE and the
// source's grants), since users' grants name them; the importing account becomes their
// admin on the target, as MariaDB makes a role's creator.
struct AccountFilter {
  std::string agent_user;
  std::string repl_user;
};

// 'user'@'host', quoted by `session`.
std::string Account(DbSession& session, absl::string_view user, absl::string_view host);

bool IsCarriedAccount(const AccountFilter& filter, absl::string_view user, absl::string_view host);

struct AccountList {
  std::vector<v1::AccountDefinition> accounts;  // roles first, then users
  std::vector<std::string> skipped;             // as AccountExport::skipped
};

// Every role and carried user with its definition (SHOW CREATE USER) and grants.
absl::StatusOr<AccountList> ListAccounts(DbSession& session, const AccountFilter& filter);

// The statements that re-create `list` (AccountExport::sql; `session` quotes names).
AccountExport RenderAccounts(DbSession& session, const AccountList& list);

// ListAccounts then RenderAccounts.
absl::StatusOr<AccountExport> ExportAccounts(DbSession& session, const AccountFilter& filter);

}  // namespace mmresync::agent
