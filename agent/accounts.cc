#include "agent/accounts.h"
#include "absl/strings/string_view.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

std::string Account(DbSession& session, absl::string_view user, absl::string_view host) {
  return absl::StrCat(QuoteString(session, user), "@", QuoteString(session, host));
}

}  // namespace

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

// Each role as the source has it. CREATE OR REPLACE because granting a role takes its
// ADMIN OPTION, which the importing account has only on roles it created itself: a role
// made by root on the target could not be granted to the users that follow. The users'
// own grants restore who holds each role (on the target, accounts that are not carried
// lose roles the source also has; see README, known limits).
absl::Status ExportRoles(DbSession& session, const std::vector<std::string>& roles,
                         AccountExport* out) {
  if (roles.empty()) return absl::OkStatus();
  absl::StrAppend(&out->sql, "-- roles first: users' grants name them\n");
  for (const std::string& role : roles) {
    absl::StrAppend(&out->sql, "CREATE OR REPLACE ROLE ", QuoteString(session, role), ";\n");
  }
  for (const std::string& role : roles) {
    const std::string quoted = QuoteString(session, role);
    absl::StatusOr<ResultSet> grants = session.Query(absl::StrCat("SHOW GRANTS FOR ", quoted));
    if (!grants.ok()) return Annotate(grants.status(), absl::StrCat("reading role ", quoted));
    for (const auto& row : grants->rows) {
      if (row.empty() || !row[0].has_value()) continue;
      absl::StrAppend(&out->sql, *row[0], ";\n");
    }
    ++out->roles;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AccountExport> ExportAccounts(DbSession& session, const AccountFilter& filter) {
  ASSIGN_OR_RETURN(ResultSet users,
                   session.Query("SELECT User, Host, is_role FROM mysql.user ORDER BY User, Host"));
  AccountExport out;
  out.sql = "-- accounts and grants (mmresync: SHOW CREATE USER / SHOW GRANTS)\n";
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
  RETURN_IF_ERROR(ExportRoles(session, roles, &out));
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
    absl::StrAppend(&out.sql, "DROP USER IF EXISTS ", account, ";\n", *create->rows[0][0], ";\n");
    for (const auto& row : grants->rows) {
      if (row.empty() || !row[0].has_value()) continue;
      // PROXY grants need the grantor to hold PROXY WITH GRANT on the proxied account,
      // which the agent's user does not: report them instead of failing the import.
      if (absl::StartsWith(*row[0], "GRANT PROXY ON")) {
        out.skipped.push_back(absl::StrCat(account, " (PROXY grant not carried: ", *row[0], ")"));
        continue;
      }
      absl::StrAppend(&out.sql, *row[0], ";\n");
    }
    ++out.accounts;
  }
  absl::StrAppend(&out.sql, "FLUSH PRIVILEGES;\n");
  return out;
}

}  // namespace mmresync::agent
