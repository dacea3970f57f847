#include "coordinator/replication_error.h"

#include "absl/strings/str_cat.h"

namespace mmresync::coordinator {
namespace {

// Control bytes as \n, \t, \xNN (the text may quote row data); quotes stay readable.
std::string EscapeControl(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::optional<absl::Status> StoppedReplicationError(const std::string& node,
                                                    const v1::ReplicaStatus& r) {
  if (!r.configured()) return std::nullopt;
  if (r.sql_running() == "No" && r.last_sql_errno() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(node, ": replication SQL thread stopped with error ", r.last_sql_errno(), ": ",
                     EscapeControl(r.last_sql_error())));
  }
  if (r.io_running() == "No" && r.last_io_errno() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(node, ": replication IO thread stopped with error ", r.last_io_errno(), ": ",
                     EscapeControl(r.last_io_error())));
  }
  return std::nullopt;
}

}  // namespace mmresync::coordinator
