#include "agent/safety_guard.h"
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::Status CheckVipNotLocal(const std::string& vip, InterfaceAddresses& addresses,
                              absl::string_view action) {
  if (vip.empty()) return absl::OkStatus();
  absl::StatusOr<bool> local = VipIsLocal(vip, addresses);
  if (!local.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("refusing ", action,
                                                      ": cannot tell whether this node holds "
                                                      "the VIP ",
                                                      vip, ": ", local.status().message()));
  }
  if (*local) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing ", action, ": this node holds the VIP ", vip, " (it is the master)"));
  }
  return absl::OkStatus();
}

absl::Status CheckDestructiveAllowed(const SafetyInputs& in, absl::string_view action) {
  if (!in.vip.empty()) RETURN_IF_ERROR(CheckVipNotLocal(in.vip, *in.addresses, action));
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
  if (in.lease) {
    if (absl::Status lease = in.lease(); !lease.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("refusing ", action, ": ", lease.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace mmresync::agent
