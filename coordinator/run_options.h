#pragma once

// The options of a run as the journal records them, and the rule for `--resume`: the
// run goes on with the options it was started with; an option given again must say the
// same, else the resume is refused (a started run does not change its backup, method or
// what it may discard half-way).

#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "coordinator/recovery_plan.h"
#include "coordinator/transfer_method.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

v1::RunOptions ToRecord(const RecoverOptions& options);

// `auto`'s choice into the record, and back: a resumed auto run keeps the method it chose
// when it began (a half-done re-seed can look like a target that fits delta, and a
// half-done delta repair like one that does not). nullopt when the run asked for a
// method by name or its record has no choice (an older coordinator's run).
void RecordChoice(const MethodChoice& choice, v1::RunOptions* record);
std::optional<MethodChoice> RecordedChoice(const v1::RunOptions& record);

// `options` with the recorded ones applied (the durations and other per-invocation
// settings are kept).
RecoverOptions WithRecorded(RecoverOptions options, const v1::RunOptions& recorded);

// OK when every flag in `given` ("--method", "--skip-backup", "--discard-target-writes",
// "--backup", "--workers") has the value the run recorded; else InvalidArgument naming
// each difference and the run.
absl::Status CheckResumeOptions(const std::string& run_id, const v1::RunOptions& recorded,
                                const RecoverOptions& now, const std::set<std::string>& given);

}  // namespace mmresync::coordinator
