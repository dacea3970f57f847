#include "agent/accounts.h"
#include "absl/strings/string_view.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::agent {
std::string Account(DbSession& session, absl::string_view user, absl::string_view host) {
  return absl::StrCat(QuoteString(session, user), "@", QuoteString(session, host));
}

bool IsCarriedAccount(const AccountFilter& filter, absl::string_view user, absl::string_view host) {
  if (user.empty()) return false;  // anonymous
  if (user == filter.agent_user || user == filter.repl_user) return false;
  if (user == "mariadb.sys" || user == "mysql.sys" || user == "mysql.session") return false;
  // Install-time local superusers exist on every host already and differ per host.
  if ((user == "root" || user == "mysql") &&
      (host == "localhost" || host == "127.0.0.1" || host == "::1")) {
    return false;
  }
  return true;
}

namespace {

// Each role's grants as the source has them.
absl::Status ListRoles(DbSession& session, const std::vector<std::string>& roles,
                       AccountList* out) {
  for (const std::string& role : roles) {
    const std::string quoted = QuoteString(session, role);
    absl::StatusOr<ResultSet> grants = session.Query(absl::StrCat("SHOW GRANTS FOR ", quoted));
    if (!grants.ok()) return Annotate(grants.status(), absl::StrCat("reading role ", quoted));
    v1::AccountDefinition a;
    a.set_user(role);
    a.set_is_role(true);
    for (const auto& row : grants->rows) {
      if (row.empty() || !row[0].has_value()) continue;
      a.add_grants(*row[0]);
    }
    out->accounts.push_back(std::move(a));
  }
  return absl::OkStatus();
}

// Roles first (CREATE OR REPLACE ROLE and the source's grants), since users' grants name
// them. CREATE OR REPLACE because granting a role takes its ADMIN OPTION, which the
// importing account has only on roles it created itself: a role made by root on the
// target could not be granted to the users that follow. The users' own grants restore
// who holds each role (on the target, accounts that are not carried lose roles the
// source also has; see README, known limits).
void RenderRoles(DbSession& session, const AccountList& list, AccountExport* out) {
  bool any = false;
  for (const auto& a : list.accounts) {
    if (!a.is_role()) continue;
    if (!any) absl::StrAppend(&out->sql, "-- roles first: users' grants name them\n");
    any = true;
    absl::StrAppend(&out->sql, "CREATE OR REPLACE ROLE ", QuoteString(session, a.user()), ";\n");
  }
  for (const auto& a : list.accounts) {
    if (!a.is_role()) continue;
    for (const auto& grant : a.grants()) absl::StrAppend(&out->sql, grant, ";\n");
    ++out->roles;
  }
}

}  // namespace

absl::StatusOr<AccountList> ListAccounts(DbSession& session, const AccountFilter& filter) {
  ASSIGN_OR_RETURN(ResultSet users,
                   session.Query("SELECT User, Host, is_role FROM mysql.user ORDER BY User, Host"));
  AccountList out;
  std::vector<std::string> roles;
  for (size_t i = 0; i < users.rows.size(); ++i) {
    std::string user = users.GetOr(i, "User", "");
    if (users.GetOr(i, "is_role", "N") != "Y" || user.empty()) continue;
    // 10.11's PUBLIC is no role one can create; its grants are left as they are.
    if (absl::AsciiStrToUpper(user) == "PUBLIC") {
      out.skipped.push_back("PUBLIC (grants to PUBLIC are not carried)");
      continue;
    }
    roles.push_back(user);
  }
  RETURN_IF_ERROR(ListRoles(session, roles, &out));
  for (size_t i = 0; i < users.rows.size(); ++i) {
    std::string user = users.GetOr(i, "User", "");
    std::string host = users.GetOr(i, "Host", "");
    std::string account = Account(session, user, host);
    if (users.GetOr(i, "is_role", "N") == "Y") continue;
    if (!IsCarriedAccount(filter, user, host)) continue;
    auto create = session.Query(absl::StrCat("SHOW CREATE USER ", account));
    auto grants = create.ok() ? session.Query(absl::StrCat("SHOW GRANTS FOR ", account)) : create;
    if (!create.ok() || !grants.ok()) {
      absl::Status s = !create.ok() ? create.status() : grants.status();
      // ERROR 1133: an account the server itself ignores (root@<hostname> under
      // skip-name-resolve, created at install time). Nobody can log in with it.
      if (absl::StrContains(s.message(), "ERROR 1133")) {
        out.skipped.push_back(absl::StrCat(account, " (ignored by the server: ", s.message(), ")"));
        continue;
      }
      return Annotate(s, absl::StrCat("reading account ", account));
    }
    if (create->empty() || create->rows[0].empty() || !create->rows[0][0].has_value()) {
      return absl::InternalError(absl::StrCat("SHOW CREATE USER ", account, " returned nothing"));
    }
    v1::AccountDefinition a;
    a.set_user(user);
    a.set_host(host);
    a.set_create_sql(*create->rows[0][0]);
    for (const auto& row : grants->rows) {
      if (row.empty() || !row[0].has_value()) continue;
      // PROXY grants need the grantor to hold PROXY WITH GRANT on the proxied account,
      // which the agent's user does not: report them instead of failing the import.
      if (absl::StartsWith(*row[0], "GRANT PROXY ON")) {
        out.skipped.push_back(absl::StrCat(account, " (PROXY grant not carried: ", *row[0], ")"));
        continue;
      }
      a.add_grants(*row[0]);
    }
    out.accounts.push_back(std::move(a));
  }
  return out;
}

AccountExport RenderAccounts(DbSession& session, const AccountList& list) {
  AccountExport out;
  out.sql = "-- accounts and grants (mmresync: SHOW CREATE USER / SHOW GRANTS)\n";
  out.skipped = list.skipped;
  RenderRoles(session, list, &out);
  for (const auto& a : list.accounts) {
    if (a.is_role()) continue;
    absl::StrAppend(&out.sql, "DROP USER IF EXISTS ", Account(session, a.user(), a.host()), ";\n",
                    a.create_sql(), ";\n");
    for (const auto& grant : a.grants()) absl::StrAppend(&out.sql, grant, ";\n");
    ++out.accounts;
  }
  absl::StrAppend(&out.sql, "FLUSH PRIVILEGES;\n");
  return out;
}

absl::StatusOr<AccountExport> ExportAccounts(DbSession& session, const AccountFilter& filter) {
  ASSIGN_OR_RETURN(AccountList list, ListAccounts(session, filter));
  return RenderAccounts(session, list);
}

}  // namespace mmresync::agent
