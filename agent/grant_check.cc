#include "agent/grant_check.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// A need and the privileges that satisfy it; the first is the name reported as missing.
struct Need {
  std::vector<std::string> any_of;
};

// (major, minor) of "10.11.6-MariaDB-log"; (0, 0) when it does not parse, which keeps
// every alternative (the older, more permissive reading).
std::pair<int, int> MajorMinor(absl::string_view version) {
  std::vector<absl::string_view> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  int major = 0, minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major)) return {0, 0};
  absl::string_view m = parts[1];
  m = m.substr(0, std::min(m.size(), m.find_first_not_of("0123456789")));
  if (!absl::SimpleAtoi(m, &minor)) return {major, 0};
  return {major, minor};
}

// What the agent's own work takes: reading and re-creating every schema, account and
// grant (SELECT ... GRANT OPTION), snapshots (RELOAD, LOCK TABLES), replication control,
// read_only, and sql_log_bin=0 for imports. SUPER covered the last four before MariaDB
// split it up (10.5); 10.11 took READ_ONLY ADMIN out of it and 11.0 the rest.
std::vector<Need> AgentNeeds(absl::string_view server_version) {
  const auto [major, minor] = MajorMinor(server_version);
  const bool known = major > 0;
  const bool super_covers = !known || major < 11;
  const bool super_covers_read_only = !known || major < 10 || (major == 10 && minor < 11);
  auto with_super = [&](std::vector<std::string> names, bool covered) {
    if (covered) names.push_back("SUPER");
    return Need{std::move(names)};
  };
  std::vector<Need> needs;
  for (const char* p : {"SELECT",
                        "INSERT",
                        "UPDATE",
                        "DELETE",
                        "CREATE",
                        "DROP",
                        "ALTER",
                        "INDEX",
                        "RELOAD",
                        "PROCESS",
                        "SHOW DATABASES",
                        "LOCK TABLES",
                        "CREATE TEMPORARY TABLES",
                        "CREATE VIEW",
                        "SHOW VIEW",
                        "CREATE ROUTINE",
                        "ALTER ROUTINE",
                        "EXECUTE",
                        "EVENT",
                        "TRIGGER",
                        "CREATE USER",
                        "GRANT OPTION"}) {
    needs.push_back(Need{{p}});
  }
  needs.push_back(with_super({"BINLOG MONITOR", "REPLICATION CLIENT"}, super_covers));
  needs.push_back(with_super({"REPLICATION SLAVE ADMIN"}, super_covers));
  needs.push_back(with_super({"BINLOG ADMIN"}, super_covers));
  needs.push_back(with_super({"READ_ONLY ADMIN"}, super_covers_read_only));
  return needs;
}

std::vector<std::string> Missing(const std::vector<Need>& needs,
                                 const std::vector<std::string>& held) {
  const std::set<std::string> have(held.begin(), held.end());
  const bool all = have.count("ALL PRIVILEGES") > 0;
  std::vector<std::string> out;
  for (const Need& need : needs) {
    // ALL PRIVILEGES is everything but GRANT OPTION, which only WITH GRANT OPTION gives.
    if (all && need.any_of.front() != "GRANT OPTION") continue;
    bool met = std::any_of(need.any_of.begin(), need.any_of.end(),
                           [&](const std::string& p) { return have.count(p) > 0; });
    if (!met) out.push_back(need.any_of.front());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ShowGrants(DbSession& session, absl::string_view sql) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query(sql));
  std::vector<std::string> lines;
  for (size_t i = 0; i < rs.rows.size(); ++i) {
    if (!rs.rows[i].empty() && rs.rows[i][0].has_value()) lines.push_back(*rs.rows[i][0]);
  }
  return lines;
}

void FillAgentCheck(DbSession& session, absl::string_view server_version,
                    v1::PrivilegeCheck* check) {
  auto user = session.Query("SELECT CURRENT_USER()");
  if (!user.ok()) {
    check->set_error(absl::StrCat("SELECT CURRENT_USER(): ", user.status().message()));
    return;
  }
  if (!user->empty() && !user->rows[0].empty() && user->rows[0][0].has_value()) {
    check->add_accounts(*user->rows[0][0]);
  }
  auto grants = ShowGrants(session, "SHOW GRANTS FOR CURRENT_USER()");
  if (!grants.ok()) {
    check->set_error(absl::StrCat("SHOW GRANTS: ", grants.status().message()));
    return;
  }
  for (std::string& p : MissingAgentPrivileges(GlobalPrivileges(*grants), server_version)) {
    check->add_missing(std::move(p));
  }
}

void FillReplicationCheck(DbSession& session, const std::string& repl_user,
                          v1::PrivilegeCheck* check) {
  auto hosts = session.Query(absl::StrCat("SELECT Host FROM mysql.user WHERE User = ",
                                          QuoteString(session, repl_user), " ORDER BY Host"));
  if (!hosts.ok()) {
    check->set_error(
        absl::StrCat("reading the accounts named ", repl_user, ": ", hosts.status().message()));
    return;
  }
  bool granted = false;
  for (size_t i = 0; i < hosts->rows.size(); ++i) {
    const std::string host = hosts->GetOr(i, "Host", "");
    check->add_accounts(absl::StrCat(repl_user, "@", host));
    auto grants =
        ShowGrants(session, absl::StrCat("SHOW GRANTS FOR ", QuoteString(session, repl_user), "@",
                                         QuoteString(session, host)));
    if (!grants.ok()) {
      check->set_error(
          absl::StrCat("SHOW GRANTS FOR ", repl_user, "@", host, ": ", grants.status().message()));
      return;
    }
    granted |= MissingReplicationPrivileges(GlobalPrivileges(*grants)).empty();
  }
  if (!granted) check->add_missing("REPLICATION SLAVE");
}

}  // namespace

std::vector<std::string> GlobalPrivileges(const std::vector<std::string>& show_grants) {
  std::vector<std::string> out;
  for (const std::string& line : show_grants) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "GRANT ")) continue;
    const size_t on = rest.find(" ON *.* TO ");
    if (on == absl::string_view::npos) continue;
    for (absl::string_view p : absl::StrSplit(rest.substr(0, on), ',')) {
      out.push_back(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(p)));
    }
    // The account name is quoted, so the last " WITH " starts the options.
    const size_t with = rest.rfind(" WITH ");
    if (with != absl::string_view::npos && with > on &&
        absl::StrContains(rest.substr(with), "GRANT OPTION")) {
      out.push_back("GRANT OPTION");
    }
  }
  return out;
}

std::vector<std::string> MissingAgentPrivileges(const std::vector<std::string>& held,
                                                absl::string_view server_version) {
  return Missing(AgentNeeds(server_version), held);
}

std::vector<std::string> MissingReplicationPrivileges(const std::vector<std::string>& held) {
  return Missing({Need{{"REPLICATION SLAVE"}}}, held);
}

void CollectPrivilegeFacts(DbSession& session, const std::string& repl_user,
                           absl::string_view server_version, v1::NodeStatus* status) {
  FillAgentCheck(session, server_version, status->mutable_agent_privileges());
  FillReplicationCheck(session, repl_user, status->mutable_repl_privileges());
}

}  // namespace mmresync::agent
