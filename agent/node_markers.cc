#include "agent/node_markers.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"

namespace mmresync::agent {
namespace {

std::string MarkerPath(const std::string& state_dir, NodeMarker marker) {
  switch (marker) {
    case NodeMarker::kFenced:
      return absl::StrCat(state_dir, "/fenced");
    case NodeMarker::kImportIncomplete:
      return absl::StrCat(state_dir, "/import-incomplete");
    case NodeMarker::kReplicationStopped:
      break;
  }
  return absl::StrCat(state_dir, "/replication-stopped");
}

}  // namespace

absl::Status SetMarker(const std::string& state_dir, NodeMarker marker, const std::string& run_id) {
  const std::string path = MarkerPath(state_dir, marker);
  absl::Status s = WriteFileAtomically(path, absl::StrCat(run_id, "\n"), 0600);
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat("marker ", path, ": ", s.message()));
  return absl::OkStatus();
}

absl::Status ClearMarker(const std::string& state_dir, NodeMarker marker) {
  const std::string path = MarkerPath(state_dir, marker);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(absl::StrCat("marker ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ReadMarker(const std::string& state_dir,
                                                      NodeMarker marker) {
  const std::string path = MarkerPath(state_dir, marker);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::InternalError(absl::StrCat("marker ", path, ": ", std::strerror(errno)));
  }
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::string(absl::StripAsciiWhitespace(*text)));
}

}  // namespace mmresync::agent
