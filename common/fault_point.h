#pragma once

// Fault points: named places in the agent and the coordinator where a test makes the
// process pause, fail or die, so a fault lands exactly at a step boundary or after N
// bytes of a stream instead of wherever a timing race puts it (RocksDB's
// TEST_SYNC_POINT/kill points).
//
// Safety: the points exist only in builds configured with -DMMRESYNC_FAULT_POINTS=ON
// (the default only while the test suite is built; a release build sets
// -DMMRESYNC_BUILD_TESTS=OFF or -DMMRESYNC_FAULT_POINTS=OFF). Without it the
// MMRESYNC_FAULT_POINT macros expand to nothing, so no environment or flag can reach
// them, and a binary that finds MMRESYNC_FAULT_POINTS set refuses to start rather than
// let a test believe a fault was injected. A build with them says so in --version and
// logs the armed points at start.
//
// Arming, from the environment of one process:
//   MMRESYNC_FAULT_POINTS="after_drop=kill;target_stream:1048576=pause"
//   MMRESYNC_FAULT_DIR=/tmp/case-dir      (required when anything is armed)
// Each entry is POINT[:BYTES]=ACTION. A point fires once per process, at its first hit
// (a byte point: at the hit that brings its running byte count to BYTES or more). When
// it fires it writes <dir>/<point>.hit (the pid) for the test to wait on, then:
//   mark   goes on (the marker alone tells the test that the place was passed)
//   pause  waits until <dir>/<point>.continue exists (bounded: kPauseLimit, then fails)
//   stop   SIGSTOPs its own process (the test sends SIGCONT)
//   fail   returns an error naming the point (the caller fails as on a real error)
//   kill   SIGKILLs its own process (kill -9)
//
// Points (kept in README.md, "Fault points"):
//   agent:       after_drop, after_swap, delta_table_compared, delta_compared,
//                delta_table_applied,
//                source_stream:BYTES, target_stream:BYTES
//   coordinator: leases_taken (both leases held, the run not started),
//                step_ran:<step id> (the step ran, its "done" not yet journaled),
//                step_done:<step id> (journaled done, the next step not started),
//                phase2_raised (strict GTID: the source's raised position is served by
//                the target, the source not connected yet),
//                phase2_target_stopped (the target's replica stopped for the source's
//                connect, the source not connected yet)
//
// Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "mmresync/fault_config.h"

namespace mmresync::fault {

inline constexpr char kPointsVariable[] = "MMRESYNC_FAULT_POINTS";
inline constexpr char kDirVariable[] = "MMRESYNC_FAULT_DIR";
inline constexpr absl::Duration kPauseLimit = absl::Minutes(5);

enum class Action { kMark, kPause, kStop, kFail, kKill };

struct Arming {
  std::string point;
  uint64_t bytes = 0;  // for a byte point: fire once this many bytes passed
  Action action = Action::kFail;
};

// Parses a MMRESYNC_FAULT_POINTS value; an error names the bad entry. Empty entries
// (a trailing ';') are allowed.
absl::StatusOr<std::vector<Arming>> ParseSpec(absl::string_view spec);

// Whether this build has fault points (-DMMRESYNC_FAULT_POINTS=ON).
bool CompiledIn();
// What --version appends: " [test build: fault points compiled in]", or nothing.
const char* BuildNote();

// Called once by each main(): arms what MMRESYNC_FAULT_POINTS names. Errors: a bad
// value, a missing MMRESYNC_FAULT_DIR, or the variable set in a build without fault
// points. The caller refuses to start on an error.
absl::Status ArmFromEnvironment();

// Replaces what is armed (for unit tests and ArmFromEnvironment). `dir` receives the
// .hit markers and is where .continue files are looked for.
absl::Status Arm(absl::string_view spec, const std::string& dir);
void Disarm();

// A place named `point`. OK unless armed with fail (or a pause that nobody released).
absl::Status Hit(absl::string_view point);
// A place `bytes` more bytes went through; fires once the total reaches the armed
// count.
absl::Status HitBytes(absl::string_view point, uint64_t bytes);

}  // namespace mmresync::fault

// MMRESYNC_FAULT_POINT(point): returns the fault's error from the enclosing function.
// The _OR forms return `on_error(status)` instead, for places where a real error goes
// through a clean-up (abort the child, put the old datadir back).
#ifdef MMRESYNC_FAULT_POINTS_ENABLED
#define MMRESYNC_FAULT_POINT(point) RETURN_IF_ERROR(::mmresync::fault::Hit(point))
#define MMRESYNC_FAULT_POINT_BYTES(point, bytes) \
  RETURN_IF_ERROR(::mmresync::fault::HitBytes(point, bytes))
#define MMRESYNC_FAULT_POINT_OR(point, on_error)                      \
  do {                                                                \
    ::absl::Status mmr_fault_status_ = ::mmresync::fault::Hit(point); \
    if (!mmr_fault_status_.ok()) return on_error(mmr_fault_status_);  \
  } while (0)
#define MMRESYNC_FAULT_POINT_BYTES_OR(point, bytes, on_error)                     \
  do {                                                                            \
    ::absl::Status mmr_fault_status_ = ::mmresync::fault::HitBytes(point, bytes); \
    if (!mmr_fault_status_.ok()) return on_error(mmr_fault_status_);              \
  } while (0)
#else
#define MMRESYNC_FAULT_POINT(point) \
  do {                              \
  } while (0)
#define MMRESYNC_FAULT_POINT_BYTES(point, bytes) \
  do {                                           \
  } while (0)
#define MMRESYNC_FAULT_POINT_OR(point, on_error) \
  do {                                           \
  } while (0)
#define MMRESYNC_FAULT_POINT_BYTES_OR(point, bytes, on_error) \
  do {                                                        \
  } while (0)
#endif
