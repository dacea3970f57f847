#pragma once

// A private temporary directory for one test run, removed with everything in it when
// the TempDir is destroyed. Set MMRESYNC_KEEP_TEST_DIRS=1 to keep it for post-mortem
// (datadirs, error logs); its path is logged either way.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmresync::testing {

class TempDir {
 public:
  // mkdtemp("<$TMPDIR or /tmp>/<prefix>-XXXXXX"). Keep `prefix` short: MariaDB's
  // socket path (sun_path) must stay under ~100 characters.
  static absl::StatusOr<TempDir> Create(absl::string_view prefix = "mmr");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // Leaves the directory in place when this object is destroyed.
  void Keep() { keep_ = true; }

 private:
  explicit TempDir(std::string path);
  void Remove();

  std::string path_;
  bool keep_ = false;
};

// Removes `path` and everything below it (does not follow symlinks). OK if missing.
absl::Status RemoveRecursively(const std::string& path);

}  // namespace mmresync::testing
