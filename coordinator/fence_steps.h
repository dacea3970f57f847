#pragma once

// The steps that fence the target before anything destructive and unfence it at the end.
// Both are idempotent and run again on every resume.

#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

// "fence-target": keepalived stopped on the target, the VIP confirmed on the source, then
// read_only ON. Records the target's read_only before the run (the first value seen).
Step FenceTargetStep(const PairFacts& facts);

// "unfence": read_only as before the run, keepalived started again (unless it was stopped
// before the run), and the VIP watched. `in`: for the VRRP takeover prediction the plan
// shows.
Step UnfenceStep(const PlanInputs& in, const PairFacts& facts);

}  // namespace mmresync::coordinator
