#include "agent/safety_guard.h"
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::Status CheckDestructiveAllowed(const SafetyInputs& in, absl::string_view action) {
  if (!in.vip.empty()) {
    ASSIGN_OR_RETURN(bool local, VipIsLocal(in.vip, *in.addresses));
    if (local) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing ", action, ": this node holds the VIP ", in.vip, " (it is the master)"));
    }
  }
  ASSIGN_OR_RETURN(KeepalivedStatus ka, in.keepalived->Status());
  if (ka.managed && ka.running) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing ", action, ": keepalived is running here (fence the node first): ", ka.detail));
  }
  ASSIGN_OR_RETURN(ResultSet ro, in.session->Query("SELECT @@GLOBAL.read_only"));
  if (ro.empty() || ro.rows[0].empty() || !ro.rows[0][0].has_value() || *ro.rows[0][0] != "1") {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", action, ": read_only is OFF (fence the node first)"));
  }
  return absl::OkStatus();
}

}  // namespace mmresync::agent
