#include "coordinator/run_options.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmresync::coordinator {

v1::RunOptions ToRecord(const RecoverOptions& options) {
  v1::RunOptions r;
  r.set_method(options.method);
  r.set_skip_backup(options.skip_backup);
  r.set_discard_target_writes(options.discard_target_writes);
  r.set_backup(options.backup);
  r.set_workers(options.workers);
  r.set_compression(options.compression);
  return r;
}

void RecordChoice(const MethodChoice& choice, v1::RunOptions* record) {
  if (choice.requested != "auto") return;
  record->set_method_chosen(choice.method);
  record->set_method_expected(choice.expected);
  record->set_method_reason(choice.reason);
}

std::optional<MethodChoice> RecordedChoice(const v1::RunOptions& record) {
  if ((record.method() != "auto" && !record.method().empty()) || record.method_chosen().empty()) {
    return std::nullopt;
  }
  MethodChoice c;
  c.requested = "auto";
  c.method = record.method_chosen();
  c.expected = record.method_expected();
  c.reason = absl::StrCat("kept from the run's start: ", record.method_reason());
  return c;
}

RecoverOptions WithRecorded(RecoverOptions options, const v1::RunOptions& recorded) {
  options.method = recorded.method().empty() ? "auto" : recorded.method();
  options.skip_backup = recorded.skip_backup();
  options.discard_target_writes = recorded.discard_target_writes();
  options.backup = recorded.backup().empty() ? "park" : recorded.backup();
  options.workers = recorded.workers();
  // Unlike the options above, compression may change on resume: it decides how bytes
  // move, never what arrives. Kept as recorded unless given again.
  if (!options.compression_given && !recorded.compression().empty()) {
    options.compression = recorded.compression();
  }
  return options;
}

absl::Status CheckResumeOptions(const std::string& run_id, const v1::RunOptions& recorded,
                                const RecoverOptions& now, const std::set<std::string>& given) {
  const RecoverOptions was = WithRecorded(now, recorded);
  auto yes_no = [](bool b) { return b ? std::string("given") : std::string("not given"); };
  std::vector<std::string> diffs;
  if (given.count("--method") && now.method != was.method) {
    diffs.push_back(absl::StrCat("--method ", now.method, " (the run uses ", was.method, ")"));
  }
  if (given.count("--backup") && now.backup != was.backup) {
    diffs.push_back(absl::StrCat("--backup ", now.backup, " (the run uses ", was.backup, ")"));
  }
  if (given.count("--workers") && now.workers != was.workers) {
    diffs.push_back(absl::StrCat(
        "--workers ", now.workers, " (the run uses ",
        was.workers == 0 ? std::string("the default") : absl::StrCat(was.workers), ")"));
  }
  if (given.count("--skip-backup") && now.skip_backup != was.skip_backup) {
    diffs.push_back(
        absl::StrCat("--skip-backup (the run was started with it ", yes_no(was.skip_backup), ")"));
  }
  if (given.count("--discard-target-writes") &&
      now.discard_target_writes != was.discard_target_writes) {
    diffs.push_back(absl::StrCat("--discard-target-writes (the run was started with it ",
                                 yes_no(was.discard_target_writes), ")"));
  }
  if (diffs.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--resume continues run ", run_id,
      " with the options it was started with; these differ: ", absl::StrJoin(diffs, "; "),
      ". Resume without them (the recorded options are used), or abandon the run and start a "
      "new one"));
}

}  // namespace mmresync::coordinator
