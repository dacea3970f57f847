#include "coordinator/transfer_method.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "coordinator/diagnosis.h"

namespace mmresync::coordinator {
namespace {

// Why the logical method does not apply to this source; empty when it does.
std::string LogicalBlocker(const v1::NodeStatus& source) {
  const std::string& version = source.version();
  std::vector<std::string> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  int major = 0, minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major) ||
      !absl::SimpleAtoi(parts[1], &minor)) {
    return absl::StrCat("source version \"", version, "\" unknown");
  }
  if (major < 10 || (major == 10 && minor < 5)) {
    return absl::StrCat("source runs MariaDB ", version, " (BACKUP STAGE snapshots need 10.5+)");
  }
  uint32_t non_tx = 0;
  for (const auto& s : source.schemas()) non_tx += s.non_transactional_tables();
  if (non_tx > 0) {
    return absl::StrCat(non_tx,
                        " non-InnoDB table(s) on the source are outside a consistent "
                        "snapshot");
  }
  return "";
}

std::string MajorMinor(const std::string& version) {
  std::vector<std::string> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  if (parts.size() < 2) return version;
  return absl::StrCat(parts[0], ".", parts[1]);
}

}  // namespace

std::string NonTransactionalLockLine(const v1::NodeStatus& source, uint64_t source_bytes) {
  uint32_t non_tx = 0;
  for (const auto& s : source.schemas()) non_tx += s.non_transactional_tables();
  if (non_tx == 0) return "";
  std::vector<std::string> engines;
  for (const std::string& e : source.engines()) {
    if (e != "InnoDB") engines.push_back(e);
  }
  return absl::StrCat(
      source.node(), " has ", non_tx, " non-InnoDB table(s) (",
      engines.empty() ? std::string("engine not reported") : absl::StrJoin(engines, ", "),
      "): no snapshot covers them without a lock, so ", source.node(),
      " holds a global read lock (--lock-all-tables) for the whole dump (~",
      HumanBytes(source_bytes), "): writes to ", source.node(),
      " wait until it has streamed to the target; the run reports how long");
}

std::string MethodLine(const MethodChoice& choice) {
  return absl::StrCat("method ", choice.expected, " (", choice.requested, ": ", choice.reason, ")");
}

DeltaFit JudgeDeltaFit(const v1::NodeStatus& source, const v1::NodeStatus& target) {
  std::map<std::string, const v1::SchemaSize*> theirs;
  uint32_t target_tables = 0;
  for (const auto& s : target.schemas()) {
    theirs[s.name()] = &s;
    target_tables += s.tables();
  }
  if (target_tables == 0) {
    return {false, absl::StrCat("the target ", target.node(),
                                " holds no user tables: there is nothing to compare")};
  }
  for (const auto& s : source.schemas()) {
    if (!theirs.contains(s.name())) {
      return {false, absl::StrCat("schema ", s.name(), " is on the source only")};
    }
  }
  for (const auto& [name, s] : theirs) {
    if (std::none_of(source.schemas().begin(), source.schemas().end(),
                     [&](const v1::SchemaSize& mine) { return mine.name() == name; })) {
      return {false, absl::StrCat("schema ", name, " is on the target only")};
    }
  }
  // Weighed by size (at least 1 per table, so that empty tables count too).
  uint64_t total = 0, comparable = 0;
  uint32_t tables = 0, comparable_tables = 0;
  for (const auto& s : source.schemas()) {
    if (s.tables() != 0 && s.table_shapes_size() == 0) {
      return {false, absl::StrCat("the source's agent does not report the definitions of the "
                                  "tables of ",
                                  s.name())};
    }
    std::map<std::string, const v1::TableShape*> target_shapes;
    for (const auto& t : theirs[s.name()]->table_shapes()) target_shapes[t.name()] = &t;
    for (const auto& t : s.table_shapes()) {
      const uint64_t weight = std::max<uint64_t>(1, t.bytes());
      total += weight;
      ++tables;
      auto it = target_shapes.find(t.name());
      if (it == target_shapes.end() || !t.keyed() || it->second->definition() != t.definition()) {
        continue;
      }
      comparable += weight;
      ++comparable_tables;
    }
  }
  const uint64_t percent = total == 0 ? 100 : comparable * 100 / total;
  const std::string counts =
      absl::StrCat(comparable_tables, " of the source's ", tables, " table(s) (", percent,
                   "% of its data) with the same definition and a key");
  // Below half, most of the data would be copied whole anyway, table by table.
  if (comparable * 2 < total) return {false, absl::StrCat("the target has only ", counts)};
  return {true, absl::StrCat("the target has ", counts, ": only what differs moves")};
}

std::string PhysicalBlocker(const v1::NodeStatus& source, const v1::NodeStatus& target) {
  const v1::MariadbServiceState& svc = target.mariadb_service();
  if (!svc.managed()) {
    return absl::StrCat("the target ", target.node(),
                        " has no [mariadb.service] control (control = ",
                        svc.control().empty() ? "none" : svc.control(),
                        "): its agent cannot stop and start mariadbd to swap the datadir");
  }
  if (MajorMinor(source.version()) != MajorMinor(target.version())) {
    return absl::StrCat("the source runs MariaDB ", source.version(), ", the target ",
                        target.version(), ": a physical copy needs the same major.minor");
  }
  if (source.encryption_size() > 0) {
    return absl::StrCat("the source uses encryption (", absl::StrJoin(source.encryption(), ", "),
                        "): the keys are not part of a physical copy");
  }
  const uint64_t need = UserDataBytes(source) + UserDataBytes(source) / 10;
  if (target.datadir_free_bytes() != 0 && target.datadir_free_bytes() < need) {
    return absl::StrCat("the target has ", target.datadir_free_bytes() >> 20,
                        " MiB free beside its datadir; a second copy needs at least ", need >> 20,
                        " MiB");
  }
  return "";
}

absl::StatusOr<MethodChoice> ChooseMethod(const std::string& requested,
                                          const v1::NodeStatus& source,
                                          const v1::NodeStatus& target, bool auto_delta) {
  MethodChoice c;
  c.requested = requested.empty() ? "auto" : requested;
  if (c.requested != "auto" && c.requested != "logical" && c.requested != "dump" &&
      c.requested != "physical" && c.requested != "delta") {
    return absl::InvalidArgumentError(
        absl::StrCat("--method ", c.requested, ": must be auto, delta, logical, physical or dump"));
  }
  if (c.requested == "physical") {
    const std::string blocker = PhysicalBlocker(source, target);
    if (!blocker.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--method physical cannot re-seed this pair: ", blocker,
                       "; use --method logical (or auto)"));
    }
    c.method = c.expected = "physical";
    c.reason = "asked for with --method physical";
    return c;
  }
  const std::string blocker = LogicalBlocker(source);
  if (c.requested == "delta") {
    // The delta method reads through the logical method's snapshot session.
    if (!blocker.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--method delta cannot compare this source: ", blocker, "; use --method dump (or auto)"));
    }
    c.method = c.expected = "delta";
    c.reason = "asked for with --method delta";
    return c;
  }
  if (c.requested == "dump") {
    c.method = c.expected = "dump";
    c.reason = "asked for with --method dump";
  } else if (c.requested == "logical") {
    if (!blocker.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--method logical cannot copy this source: ", blocker, "; use --method dump (or auto)"));
    }
    c.method = c.expected = "logical";
    c.reason = "asked for with --method logical";
  } else {
    if (!blocker.empty()) {
      c.method = "auto";
      c.expected = "dump";
      c.reason = blocker;
      return c;
    }
    const DeltaFit fit = auto_delta ? JudgeDeltaFit(source, target)
                                    : DeltaFit{false, "[cluster] auto_delta = false"};
    // Delta runs as itself; a re-seed stays "auto" so that the agent may still fall
    // back to dump before anything is dropped.
    c.method = fit.fits ? "delta" : "auto";
    c.expected = fit.fits ? "delta" : "logical";
    c.reason =
        fit.fits ? fit.reason : absl::StrCat(fit.reason, "; MariaDB 10.5+ and all tables InnoDB");
  }
  return c;
}

}  // namespace mmresync::coordinator
