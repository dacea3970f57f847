#include "common/version.h"

#include "absl/strings/str_cat.h"
#include "mmresync/version_info.h"

namespace mmresync {

const char* ReleaseVersion() { return MMRESYNC_VERSION; }

const char* GitDescribe() { return MMRESYNC_GIT_DESCRIBE; }

std::string VersionText() {
  std::string git = GitDescribe();
  if (git.empty()) return ReleaseVersion();
  return absl::StrCat(ReleaseVersion(), " (git ", git, ")");
}

}  // namespace mmresync
