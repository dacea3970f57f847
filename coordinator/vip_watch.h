#pragma once

// Where the VIP is during a run: bounded polling of both agents (fence), and the watch
// after keepalived starts on the re-seeded target (unfence) with a loud error when the
// VIP moved to it.

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coordinator/recovery_plan.h"

namespace mmresync::coordinator {

// Bounded polling until the target does not hold the VIP and, with `want_on_source`,
// the source does. OK at once when no VIP is configured.
absl::Status WaitVip(RunContext& ctx, bool want_on_source, absl::Duration timeout);

// After keepalived started on the target: the VIP must be on the source and stay there
// for a VRRP master-down interval (3 adverts + skew, at most 1 s) and 1 s more, the time a
// preempting target needs to take it. The watch is skipped when the configs say the target
// never preempts.
absl::Status ConfirmVipStays(RunContext& ctx);

}  // namespace mmresync::coordinator
