#pragma once

// What must still hold for `recover --resume` to continue a run where it stopped. The
// journal says what the run did; the pair may have changed since (an operator, a
// failover, a purge of binary logs). Each remaining step's precondition is checked
// against the pair as it is now, before anything runs; a refusal names the step it
// protects and the reason, and nothing is changed.

#include <string>
#include <vector>

#include "coordinator/diagnosis.h"
#include "coordinator/journal.h"

namespace mmresync::coordinator {

// Empty when the run may continue. Checks, for the steps not yet done:
//  - the source still holds the VIP (when one is configured): every step assumes it;
//  - the target is still fenced (keepalived stopped) once fence-target was done and the
//    run never started unfencing: a target unfenced by hand may have served writes on
//    partial data;
//  - the source still has the binary log of the recorded snapshot once the import is
//    done and phase 1 is not: phase 1 points the target at those coordinates.
std::vector<std::string> ResumeRefusals(const RunRecord& run, const PairView& view,
                                        const Roles& roles);

}  // namespace mmresync::coordinator
