#pragma once

// DESIGN.md, "Command-line contract".
namespace mmresync::coordinator {
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;   // unhealthy, or failed with the pair left safe
inline constexpr int kExitUsage = 2;    // usage or configuration error
inline constexpr int kExitRefused = 3;  // unsafe to proceed: refused by a check
}  // namespace mmresync::coordinator
