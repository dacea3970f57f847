#include "coordinator/version_check.h"

#include "absl/strings/str_cat.h"

namespace mmresync::coordinator {
namespace {

std::string Shown(const v1::NodeStatus& s) {
  return s.agent_version().empty() ? std::string("(no version: an older agent)")
                                   : s.agent_version();
}

}  // namespace

std::vector<std::string> VersionWarnings(const PairView& view,
                                         const std::string& coordinator_version) {
  std::vector<std::string> warnings;
  const NodeView& a = view.nodes[0];
  const NodeView& b = view.nodes[1];
  if (a.reachable() && b.reachable() && a.status->agent_version() != b.status->agent_version()) {
    warnings.push_back(absl::StrCat("the agents run different versions: ", a.entry.name, " ",
                                    Shown(*a.status), ", ", b.entry.name, " ", Shown(*b.status)));
  }
  for (const NodeView& n : view.nodes) {
    if (n.reachable() && n.status->agent_version() != coordinator_version) {
      warnings.push_back(absl::StrCat(n.entry.name, "'s agent runs ", Shown(*n.status),
                                      ", this mmresync ", coordinator_version));
    }
  }
  return warnings;
}

}  // namespace mmresync::coordinator
