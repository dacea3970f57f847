#include "coordinator/resume_checks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmresync::coordinator {
namespace {

bool Done(const RunRecord& run, const std::string& step) {
  return std::find(run.done_steps.begin(), run.done_steps.end(), step) != run.done_steps.end();
}

std::string RecordOr(const RunRecord& run, const std::string& key) {
  auto it = run.records.find(key);
  return it == run.records.end() ? std::string() : it->second;
}

}  // namespace

std::vector<std::string> ResumeRefusals(const RunRecord& run, const PairView& view,
                                        const Roles& roles) {
  std::vector<std::string> refusals;
  const NodeView& source = view.nodes[roles.source];
  const NodeView& target = view.nodes[roles.target];
  if (!source.status.ok() || !target.status.ok()) return refusals;  // pre-flight names it
  const v1::NodeStatus& s = *source.status;
  const v1::NodeStatus& t = *target.status;
  const std::string why = absl::StrCat(" since run ", run.run_id, " stopped at step ",
                                       run.at_step().empty() ? "?" : run.at_step());

  if (s.vip_configured() && !s.vip_local()) {
    refusals.push_back(absl::StrCat(
        "the source ", s.node(), " no longer holds the VIP ", s.vip(), why, " (on ",
        t.vip_local() ? t.node() : "neither node",
        "): the run's steps assume it serves the writes; find out why it moved, then give "
        "the run up with `mmresync recover --abandon ",
        run.run_id, "` and start a new one"));
  }

  const bool unfence_started = Done(run, "unfence") || run.at_step() == "unfence";
  if (Done(run, "fence-target") && !unfence_started && t.keepalived().managed() &&
      t.keepalived().running()) {
    refusals.push_back(absl::StrCat(
        "the target ", t.node(), " is no longer fenced", why,
        ": keepalived runs there again, so it may have taken the VIP and writes on data the "
        "run had not finished copying; check it, then give the run up with `mmresync "
        "recover --abandon ",
        run.run_id, "`"));
  }

  if (Done(run, "stream-import") && !Done(run, "phase1")) {
    const std::string file = RecordOr(run, "snapshot_file");
    const auto& logs = s.binary_logs();
    if (!file.empty() && logs.empty()) {
      refusals.push_back(absl::StrCat(
          "step phase1: the source ", s.node(),
          " did not list its binary logs (an older agent?), so it cannot be checked that "
          "the snapshot's ",
          file, " still exists"));
    } else if (!file.empty() && std::find(logs.begin(), logs.end(), file) == logs.end()) {
      refusals.push_back(absl::StrCat(
          "step phase1: the source ", s.node(), " no longer has the binary log ", file,
          " of the snapshot the target was seeded from (", file, ":", RecordOr(run, "snapshot_pos"),
          "; it has ",
          logs.empty() ? std::string("none") : absl::StrCat(logs[0], " .. ", logs[logs.size() - 1]),
          "): the target could not replicate what came after; give the run up with "
          "`mmresync recover --abandon ",
          run.run_id, "` and re-seed"));
    }
  }
  return refusals;
}

}  // namespace mmresync::coordinator
