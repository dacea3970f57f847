#pragma once

// The steps that replace the target's data: its backup (unless the method keeps one
// itself) and the transfer (snapshot on the source, stream, import on the target).

#include <optional>

#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

// "backup-target": park or dump the target's user data first. None with --skip-backup
// and for the physical and delta methods, which keep their own backup as they go.
std::optional<Step> BackupTargetStep(const PlanInputs& in);

// "stream-import": the target imports the source's snapshot over an agent-to-agent
// stream; records the snapshot's coordinates (what phase 1 points the target at).
Step StreamImportStep(const PlanInputs& in);

}  // namespace mmresync::coordinator
