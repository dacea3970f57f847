#pragma once

// Where the physical method puts things on the target, named in one place: the agent
// renames its datadir by these names and starts mariadbd with these options, and the
// coordinator's `plan` prints the same (with "<datadir>" and "<run>" for what it cannot
// know).

#include <string>

namespace mmresync {

// `dir` without trailing slashes ("/" stays "/"): datadirs compare and name alike either way.
std::string StripSlash(std::string dir);

// Paths beside `datadir` (a trailing slash is ignored): where the copy is extracted, and
// the name the old datadir gets (the run's backup).
std::string PhysicalNewDir(const std::string& datadir, const std::string& run_id);
std::string PhysicalBackupDir(const std::string& datadir, const std::string& run_id);

// What the start command finds in MMRESYNC_MARIADBD_OPTIONS (command control) when the
// agent starts mariadbd on a swapped-in copy: no replica threads, no events, read-only.
inline constexpr char kMariadbdOptionsEnv[] = "MMRESYNC_MARIADBD_OPTIONS";
inline constexpr char kMariadbdSwapOptions[] =
    "--skip-slave-start --event-scheduler=OFF --read-only=ON";

}  // namespace mmresync
