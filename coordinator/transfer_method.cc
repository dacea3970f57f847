#include "coordinator/transfer_method.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

}  // namespace

absl::StatusOr<MethodChoice> ChooseMethod(const std::string& requested,
                                          const v1::NodeStatus& source) {
  MethodChoice c;
  c.requested = requested.empty() ? "auto" : requested;
  if (c.requested == "physical" || c.requested == "delta") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--method ", c.requested, " is not available in this version; use auto, logical or dump"));
  }
  if (c.requested != "auto" && c.requested != "logical" && c.requested != "dump") {
    return absl::InvalidArgumentError(
        absl::StrCat("--method ", c.requested, ": must be auto, logical or dump"));
  }
  const std::string blocker = LogicalBlocker(source);
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
    c.method = "auto";
    c.expected = blocker.empty() ? "logical" : "dump";
    c.reason = blocker.empty() ? "MariaDB 10.5+ and all tables InnoDB" : blocker;
  }
  return c;
}

}  // namespace mmresync::coordinator
