#include "coordinator/run_inheritance.h"

namespace mmresync::coordinator {

Inheritance InheritFromLastRun(const std::optional<RunRecord>& last, const std::string& target) {
  Inheritance in;
  if (!last.has_value() || last->target != target) return in;
  const bool stopped_at_fence = last->unfinished() && last->failed && last->no_data_changed;
  if (!last->abandoned && !stopped_at_fence && !last->left_fenced) return in;
  in.from_run = last->run_id;
  in.abandoned = last->abandoned;
  in.left_fenced = last->left_fenced;
  if (last->original.has_value()) {
    in.original = *last->original;
    in.original->set_carried_from_run(last->run_id);
  }
  if (last->abandoned) {
    auto backup = last->records.find("backup_path");
    if (backup != last->records.end()) in.backup_path = backup->second;
  }
  return in;
}

}  // namespace mmresync::coordinator
