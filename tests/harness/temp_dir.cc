#include "tests/harness/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/log.h"

namespace mmresync::testing {
namespace {

bool KeepRequested() {
  const char* keep = std::getenv("MMRESYNC_KEEP_TEST_DIRS");
  return keep != nullptr && absl::string_view(keep) == "1";
}

}  // namespace

absl::StatusOr<TempDir> TempDir::Create(absl::string_view prefix) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = (tmpdir != nullptr && tmpdir[0] != '\0') ? tmpdir : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string pattern = absl::StrCat(base, "/", prefix, "-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  return TempDir(std::string(buffer.data()));
}

TempDir::TempDir(std::string path) : path_(std::move(path)) {}

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, std::string())), keep_(other.keep_) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, std::string());
    keep_ = other.keep_;
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  if (keep_ || KeepRequested()) {
    log::Info("keeping test directory ", path_);
  } else {
    absl::Status removed = RemoveRecursively(path_);
    if (!removed.ok()) log::Warning(removed.message());
  }
  path_.clear();
}

absl::Status RemoveRecursively(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) {
    return absl::InternalError(absl::StrCat("removing ", path, ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace mmresync::testing
