#pragma once

// The last lines of a log file, for failure messages (mariadbd error logs, agent logs).

#include <cstddef>
#include <string>

namespace mmresync::testing {

// The last `lines` lines of `path` without trailing newlines; "" when unreadable.
std::string TailOfFile(const std::string& path, size_t lines);

}  // namespace mmresync::testing
