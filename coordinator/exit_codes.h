#pragma once

// DESIGN.md, "Command-line contract".
namespace mmresync::coordinator {
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;         // unhealthy, or failed with the pair left safe
inline constexpr int kExitUsage = 2;          // usage or configuration error
inline constexpr int kExitRefused = 3;        // unsafe to proceed: refused by a check
inline constexpr int kExitInterrupted = 130;  // Ctrl-C: stopped at a safe point by the operator
}  // namespace mmresync::coordinator
