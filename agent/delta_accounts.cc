#include "agent/delta_accounts.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

using AccountKey = std::tuple<std::string, std::string, bool>;  // user, host, is_role

AccountKey KeyOf(const v1::AccountDefinition& a) { return {a.user(), a.host(), a.is_role()}; }
AccountKey RoleKey(const std::string& role) { return {role, "", true}; }

// The name in backticks right after `prefix` at the start of `line`, when `follow`
// comes after it (the server doubles a backtick inside a name).
std::optional<std::string> QuotedNameAfter(const std::string& line, absl::string_view prefix,
                                           absl::string_view follow) {
  if (!absl::StartsWith(line, prefix)) return std::nullopt;
  std::string name;
  for (size_t i = prefix.size(); i < line.size(); ++i) {
    if (line[i] != '`') {
      name += line[i];
    } else if (i + 1 < line.size() && line[i + 1] == '`') {
      name += '`';
      ++i;
    } else {
      if (absl::string_view(line).substr(i + 1, follow.size()) != follow) return std::nullopt;
      return name;
    }
  }
  return std::nullopt;
}

// The roles `a` holds: its grants "GRANT `role` TO ...".
std::set<std::string> HeldRoles(const v1::AccountDefinition& a) {
  std::set<std::string> roles;
  for (const std::string& grant : a.grants()) {
    if (auto role = QuotedNameAfter(grant, "GRANT `", " TO ")) roles.insert(*role);
  }
  return roles;
}

// `a`'s grants without a default role it does not hold: a DROP ROLE leaves the default
// behind, and no statement can set it again (SET DEFAULT ROLE needs the role granted).
std::vector<std::string> UsableGrants(const v1::AccountDefinition& a) {
  const std::set<std::string> held = HeldRoles(a);
  std::vector<std::string> out;
  for (const std::string& grant : a.grants()) {
    auto role = QuotedNameAfter(grant, "SET DEFAULT ROLE `", " FOR ");
    if (role && !held.contains(*role)) continue;
    out.push_back(grant);
  }
  return out;
}

bool SameDefinition(const v1::AccountDefinition& a, const v1::AccountDefinition& b) {
  if (a.create_sql() != b.create_sql()) return false;
  // The server lists grants in an order of its own (hash order for some kinds).
  std::vector<std::string> mine = UsableGrants(a), theirs = UsableGrants(b);
  std::sort(mine.begin(), mine.end());
  std::sort(theirs.begin(), theirs.end());
  return mine == theirs;
}

}  // namespace

AccountDefs ComparableAccounts(const AccountDefs& accounts, const AccountFilter& filter,
                               const std::vector<std::string>& kept_users) {
  AccountDefs out;
  for (const auto& a : accounts) {
    if (std::find(kept_users.begin(), kept_users.end(), a.user()) != kept_users.end()) continue;
    if (!a.is_role() && !IsCarriedAccount(filter, a.user(), a.host())) continue;
    out.push_back(a);
  }
  return out;
}

AccountChanges DiffAccounts(const AccountDefs& source, const AccountDefs& target) {
  std::map<AccountKey, const v1::AccountDefinition*> theirs, mine;
  for (const auto& a : source) theirs[KeyOf(a)] = &a;
  for (const auto& a : target) mine[KeyOf(a)] = &a;
  std::set<AccountKey> changed;
  for (const auto& [key, a] : theirs) {
    auto it = mine.find(key);
    if (it == mine.end() || !SameDefinition(*a, *it->second)) changed.insert(key);
  }
  for (const auto& [key, a] : mine) {
    if (!theirs.contains(key)) changed.insert(key);
  }
  // Pull in holders of replaced roles and roles of replaced accounts, until nothing new:
  // each pass adds at least one of the finitely many accounts or stops.
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [key, a] : theirs) {
      const std::set<std::string> held = HeldRoles(*a);
      const bool holds_changed = std::any_of(held.begin(), held.end(), [&](const std::string& r) {
        return changed.contains(RoleKey(r));
      });
      if (holds_changed && changed.insert(key).second) grew = true;
      if (!changed.contains(key)) continue;
      for (const std::string& r : held) {
        if (theirs.contains(RoleKey(r)) && changed.insert(RoleKey(r)).second) grew = true;
      }
    }
  }
  AccountChanges out;
  out.changed = changed.size();
  for (const auto& key : changed) {
    if (auto it = mine.find(key); it != mine.end()) out.drop.push_back(*it->second);
    if (auto it = theirs.find(key); it != theirs.end()) out.create.push_back(*it->second);
  }
  return out;
}

std::string AccountLabel(DbSession& session, const v1::AccountDefinition& account) {
  return account.is_role()
             ? absl::StrCat("role ", QuoteString(session, account.user()))
             : absl::StrCat("user ", Account(session, account.user(), account.host()));
}

std::vector<std::string> DropAccountStatements(DbSession& session, const AccountDefs& accounts,
                                               bool if_exists) {
  std::vector<std::string> sql;
  const char* exists = if_exists ? "IF EXISTS " : "";
  for (const auto& a : accounts) {
    sql.push_back(a.is_role()
                      ? absl::StrCat("DROP ROLE ", exists, QuoteString(session, a.user()))
                      : absl::StrCat("DROP USER ", exists, Account(session, a.user(), a.host())));
  }
  return sql;
}

std::vector<AccountStatement> CreateAccountStatements(DbSession& session,
                                                      const AccountDefs& accounts) {
  std::vector<AccountStatement> sql;
  for (const auto& a : accounts) {
    if (a.is_role())
      sql.push_back({&a, absl::StrCat("CREATE ROLE ", QuoteString(session, a.user()))});
  }
  for (const auto& a : accounts) {
    if (!a.is_role()) continue;
    for (auto& grant : UsableGrants(a)) sql.push_back({&a, std::move(grant)});
  }
  for (const auto& a : accounts) {
    if (a.is_role()) continue;
    sql.push_back({&a, a.create_sql()});
    for (auto& grant : UsableGrants(a)) sql.push_back({&a, std::move(grant)});
  }
  return sql;
}

std::string AccountsRestoreSql(DbSession& session, const AccountChanges& changes) {
  std::string text;
  for (const AccountDefs* list : {&changes.create, &changes.drop}) {
    for (const auto& sql : DropAccountStatements(session, *list, true)) {
      absl::StrAppend(&text, sql, ";\n");
    }
  }
  for (const auto& s : CreateAccountStatements(session, changes.drop)) {
    absl::StrAppend(&text, s.sql, ";\n");
  }
  return text;
}

absl::Status ReplaceAccounts(DbSession& session, const AccountChanges& changes) {
  // Annotated with the account's name only: CREATE USER carries a password hash.
  for (const auto& a : changes.drop) {
    RETURN_IF_ERROR(Annotate(session.Execute(DropAccountStatements(session, {a}, false).front()),
                             absl::StrCat("dropping the target's ", AccountLabel(session, a))));
  }
  for (const auto& s : CreateAccountStatements(session, changes.create)) {
    RETURN_IF_ERROR(
        Annotate(session.Execute(s.sql),
                 absl::StrCat("creating the source's ", AccountLabel(session, *s.account))));
  }
  return absl::OkStatus();
}

}  // namespace mmresync::agent
