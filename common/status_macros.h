#pragma once

// Abseil 20220623 (Debian 12) ships no status_macros.h; these are the two we use.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#define MMR_CONCAT_INNER(a, b) a##b
#define MMR_CONCAT(a, b) MMR_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status mmr_status_ = (expr);       \
    if (!mmr_status_.ok()) return mmr_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  MMR_ASSIGN_OR_RETURN_IMPL(MMR_CONCAT(mmr_statusor_, __LINE__), lhs, expr)

#define MMR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

namespace mmresync {

// Returns `status` with `context: ` prepended to its message, keeping its code, so
// errors read like "db2: step import: mariadb exited 1: ERROR 1064 ..." as they climb.
// Returns `status` with ` (note)` appended, keeping its code: for what the caller needs
// to know about the state after the failure ("nothing was dropped").
inline absl::Status WithNote(const absl::Status& status, absl::string_view note) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(status.message(), " (", note, ")"));
}

inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), std::string(context) + ": " + std::string(status.message()));
}

}  // namespace mmresync
