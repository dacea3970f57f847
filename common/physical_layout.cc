#include "common/physical_layout.h"

#include "absl/strings/str_cat.h"

namespace mmresync {

std::string StripSlash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string PhysicalNewDir(const std::string& datadir, const std::string& run_id) {
  return absl::StrCat(StripSlash(datadir), ".mmresync-new-", run_id);
}

std::string PhysicalBackupDir(const std::string& datadir, const std::string& run_id) {
  return absl::StrCat(StripSlash(datadir), ".mmresync-", run_id);
}

}  // namespace mmresync
