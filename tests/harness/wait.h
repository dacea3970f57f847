#pragma once

// Bounded polling: the only way harness code and integration tests wait for something.
// Never sleep a fixed time "to be sure"; poll a condition with a generous deadline.

#include <algorithm>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mmresync::testing {

// Calls `cond` every `poll` until it returns true (OK) or `timeout` has passed
// (DEADLINE_EXCEEDED naming `what`). `cond` is always called at least once, and the
// last sleep ends at the deadline with one more call, so a long `poll` never loses a
// condition that became true just before the deadline.
inline absl::Status WaitUntil(std::function<bool()> cond, absl::Duration timeout,
                              absl::Duration poll = absl::Milliseconds(50),
                              absl::string_view what = "") {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (cond()) return absl::OkStatus();
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    absl::SleepFor(std::min(poll, deadline - now));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("timed out after ", absl::FormatDuration(timeout), " waiting for ",
                   what.empty() ? absl::string_view("a condition") : what));
}

// Like WaitUntil, for a check that explains itself: polls until `check` returns OK; on
// timeout the DEADLINE_EXCEEDED message ends with the last error `check` returned.
inline absl::Status WaitForOk(std::function<absl::Status()> check, absl::Duration timeout,
                              absl::Duration poll = absl::Milliseconds(50),
                              absl::string_view what = "") {
  absl::Status last = absl::UnknownError("never checked");
  absl::Status waited = WaitUntil(
      [&] {
        last = check();
        return last.ok();
      },
      timeout, poll, what);
  if (waited.ok()) return waited;
  return absl::DeadlineExceededError(absl::StrCat(waited.message(), "; last: ", last.message()));
}

}  // namespace mmresync::testing
