#include "coordinator/preflight_checks.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace mmresync::coordinator {
namespace {

PreflightCheck Check(std::string name, CheckResult result, std::string detail) {
  return PreflightCheck{std::move(name), result, std::move(detail)};
}

PreflightCheck AutoIncrement(const v1::NodeStatus& s, const v1::NodeStatus& t) {
  const std::string values = absl::StrCat(
      "increment ", s.auto_increment_increment(), " (", s.node(), ") / ",
      t.auto_increment_increment(), " (", t.node(), "), offset ", s.auto_increment_offset(), " (",
      s.node(), ") / ", t.auto_increment_offset(), " (", t.node(), ")");
  const uint32_t si = s.auto_increment_increment(), ti = t.auto_increment_increment();
  if (si > 1 && ti > 1 && s.auto_increment_offset() % si == t.auto_increment_offset() % ti &&
      si == ti) {
    return Check("auto_increment", CheckResult::kFail,
                 absl::StrCat(values,
                              ": both nodes generate the same AUTO_INCREMENT values, so rows "
                              "inserted on both collide again (duplicate key) right after the "
                              "re-seed; give each node its own auto_increment_offset (1 and 2)"));
  }
  if (si <= 1 && ti <= 1) {
    return Check("auto_increment", CheckResult::kWarn,
                 absl::StrCat(values,
                              ": rows inserted on both nodes at once collide; with writes on "
                              "both, set auto_increment_increment=2 and offsets 1 and 2"));
  }
  if (si != ti) {
    return Check("auto_increment", CheckResult::kWarn,
                 absl::StrCat(values, ": the increments differ; values may overlap"));
  }
  return Check("auto_increment", CheckResult::kPass, values);
}

PreflightCheck BinlogFormat(const v1::NodeStatus& s, const v1::NodeStatus& t) {
  const std::string values = absl::StrCat(s.binlog_format(), " (", s.node(), ") / ",
                                          t.binlog_format(), " (", t.node(), ")");
  if (s.binlog_format() != t.binlog_format()) {
    return Check("binlog_format", CheckResult::kWarn,
                 absl::StrCat(values, ": the nodes log differently; use ROW on both"));
  }
  if (s.binlog_format() == "STATEMENT") {
    return Check("binlog_format", CheckResult::kWarn,
                 absl::StrCat(values,
                              ": statements with non-deterministic results replicate "
                              "differently; ROW is safer"));
  }
  return Check("binlog_format", CheckResult::kPass, values);
}

PreflightCheck LogSlaveUpdates(const v1::NodeStatus& s, const v1::NodeStatus& t) {
  std::vector<std::string> off;
  for (const v1::NodeStatus* n : {&s, &t}) {
    if (!n->log_slave_updates()) off.push_back(n->node());
  }
  if (off.empty()) return Check("log_slave_updates", CheckResult::kPass, "ON on both nodes");
  return Check("log_slave_updates", CheckResult::kWarn,
               absl::StrCat("OFF on ", absl::StrJoin(off, " and "),
                            ": what it applies from its peer is not in its own binlog (and not "
                            "in its gtid_binlog_pos), so a further replica or a GTID "
                            "switch-over from it misses those changes"));
}

PreflightCheck MaxAllowedPacket(const v1::NodeStatus& s, const v1::NodeStatus& t) {
  const std::string values = absl::StrCat(s.max_allowed_packet(), " (", s.node(), ") / ",
                                          t.max_allowed_packet(), " (", t.node(), ")");
  if (t.max_allowed_packet() < s.max_allowed_packet()) {
    return Check(
        "max_allowed_packet", CheckResult::kFail,
        absl::StrCat(values, ": rows that exist on ", s.node(), " may not load or replicate into ",
                     t.node(), "; set max_allowed_packet on ", t.node(), " to at least ",
                     s.max_allowed_packet()));
  }
  return Check("max_allowed_packet", CheckResult::kPass, values);
}

// "10.11" from "10.11.19-MariaDB-0+deb12u1-log"; the whole text when it does not parse.
std::string MajorVersion(const std::string& version) {
  std::vector<std::string> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  int n = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &n)) return version;
  std::string minor = parts[1].substr(0, parts[1].find_first_not_of("0123456789"));
  return absl::StrCat(parts[0], ".", minor);
}

PreflightCheck Version(const v1::NodeStatus& s, const v1::NodeStatus& t,
                       const std::string& method) {
  const std::string sv = MajorVersion(s.version()), tv = MajorVersion(t.version());
  const std::string values = absl::StrCat(sv, " (", s.node(), ") / ", tv, " (", t.node(), ")");
  if (sv == tv) return Check("version", CheckResult::kPass, values);
  if (method == "physical") {
    return Check("version", CheckResult::kFail,
                 absl::StrCat(values,
                              ": a physical copy needs the same major.minor on both nodes; use "
                              "--method logical or dump"));
  }
  return Check("version", CheckResult::kWarn,
               absl::StrCat(values,
                            ": replicate from the older to the newer only; check the release "
                            "notes between them"));
}

std::string FilterText(const v1::NodeStatus& n) {
  return n.replication_filters().empty() ? std::string("none")
                                         : absl::StrJoin(n.replication_filters(), "; ");
}

PreflightCheck FiltersIdentical(const v1::NodeStatus& s, const v1::NodeStatus& t) {
  const bool same = std::equal(s.replication_filters().begin(), s.replication_filters().end(),
                               t.replication_filters().begin(), t.replication_filters().end());
  const std::string values =
      absl::StrCat(s.node(), ": ", FilterText(s), " / ", t.node(), ": ", FilterText(t));
  if (!same) {
    return Check("replication filters identical", CheckResult::kFail,
                 absl::StrCat(values,
                              ": the nodes replicate different data, so no copy of one is a "
                              "correct replica of the other; make the filters the same"));
  }
  return Check("replication filters identical", CheckResult::kPass, values);
}

// The logical and dump methods re-seed only the schemas replication carries when the
// filters are replicate_do_db / replicate_ignore_db (each agent reads its own; the row
// above requires them identical). Other filters select by table, pattern or default
// database, which a copy by schema cannot reproduce; a physical copy is the whole datadir.
PreflightCheck FiltersHonoured(const v1::NodeStatus& s, const v1::NodeStatus& t,
                               const std::string& method) {
  if (s.replication_filters().empty() && t.replication_filters().empty()) {
    return Check("replication filters honoured", CheckResult::kPass, "no filters");
  }
  const std::string values =
      absl::StrCat(s.node(), ": ", FilterText(s), " / ", t.node(), ": ", FilterText(t));
  std::vector<std::string> not_by_schema;
  for (const auto* node : {&s, &t}) {
    for (const std::string& f : node->replication_filters()) {
      const std::string name = f.substr(0, f.find('='));
      if (name != "replicate_do_db" && name != "replicate_ignore_db") {
        not_by_schema.push_back(absl::StrCat(node->node(), ": ", f));
      }
    }
  }
  if (!not_by_schema.empty()) {
    return Check("replication filters honoured", CheckResult::kFail,
                 absl::StrCat(absl::StrJoin(not_by_schema, "; "),
                              ": a re-seed by schema cannot reproduce a filter by table, pattern "
                              "or default database (only replicate_do_db and "
                              "replicate_ignore_db are honoured); re-seed such a pair by hand"));
  }
  if (method == "physical") {
    return Check("replication filters honoured", CheckResult::kFail,
                 absl::StrCat(values,
                              ": method physical copies the whole datadir and would overwrite "
                              "the schemas replication ignores on ",
                              t.node(), "; use --method logical or dump"));
  }
  return Check("replication filters honoured", CheckResult::kPass,
               absl::StrCat(values,
                            ": only the schemas replication carries are re-seeded; the "
                            "ones it ignores stay as they are on ",
                            t.node()));
}

std::string AccountsText(const v1::PrivilegeCheck& c) {
  return c.accounts().empty() ? std::string("no account") : absl::StrJoin(c.accounts(), ", ");
}

}  // namespace

PreflightCheck PrivilegesCheck(const v1::NodeStatus& n) {
  const std::string name = absl::StrCat("privileges ", n.node());
  if (!n.has_agent_privileges() && !n.has_repl_privileges()) {
    return Check(name, CheckResult::kWarn,
                 "not reported (an agent older than this mmresync): grants not checked");
  }
  const v1::PrivilegeCheck& a = n.agent_privileges();
  const v1::PrivilegeCheck& r = n.repl_privileges();
  std::vector<std::string> problems;
  if (!a.error().empty()) {
    problems.push_back(absl::StrCat("the agent's grants could not be read: ", a.error()));
  } else if (!a.missing().empty()) {
    problems.push_back(absl::StrCat("the agent's account ", AccountsText(a), " lacks ",
                                    absl::StrJoin(a.missing(), ", ")));
  }
  if (!r.error().empty()) {
    problems.push_back(
        absl::StrCat("the replication account's grants could not be read: ", r.error()));
  } else if (r.accounts().empty()) {
    problems.push_back(
        "no account named as agent.toml's mariadb.repl_user exists (the peer replicates "
        "with it): create it with REPLICATION SLAVE");
  } else if (!r.missing().empty()) {
    problems.push_back(absl::StrCat("the replication account ", AccountsText(r), " lacks ",
                                    absl::StrJoin(r.missing(), ", ")));
  }
  if (problems.empty()) {
    return Check(name, CheckResult::kPass,
                 absl::StrCat("agent ", AccountsText(a), ": all needed; replication ",
                              AccountsText(r), ": REPLICATION SLAVE"));
  }
  return Check(name, CheckResult::kFail,
               absl::StrCat(absl::StrJoin(problems, "; "),
                            ": the run would stop half-way on \"access denied\"; grant them "
                            "(README, \"Least privilege\")"));
}

std::vector<PreflightCheck> ConfigurationChecks(const v1::NodeStatus& source,
                                                const v1::NodeStatus& target,
                                                const std::string& method) {
  return {AutoIncrement(source, target),
          BinlogFormat(source, target),
          LogSlaveUpdates(source, target),
          MaxAllowedPacket(source, target),
          Version(source, target, method),
          FiltersIdentical(source, target),
          FiltersHonoured(source, target, method),
          PrivilegesCheck(source),
          PrivilegesCheck(target)};
}

bool AnyFailed(const std::vector<PreflightCheck>& checks) {
  return std::any_of(checks.begin(), checks.end(),
                     [](const PreflightCheck& c) { return c.result == CheckResult::kFail; });
}

const char* ResultWord(CheckResult result) {
  switch (result) {
    case CheckResult::kPass:
      return "pass";
    case CheckResult::kWarn:
      return "warn";
    case CheckResult::kFail:
      return "FAIL";
  }
  return "?";
}

std::string RenderChecks(const std::vector<PreflightCheck>& checks) {
  std::string out;
  for (const PreflightCheck& c : checks) {
    absl::StrAppend(&out,
                    absl::StrFormat("  %-4s  %-29s %s\n", ResultWord(c.result), c.name, c.detail));
  }
  return out;
}

}  // namespace mmresync::coordinator
