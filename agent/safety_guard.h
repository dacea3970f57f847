#pragma once

// The agent's own refusal of destructive actions (drop, import, RESET SLAVE), whatever
// the coordinator asks: never on the node holding the VIP, and only on a fenced node
// (keepalived stopped where it is managed, read_only on) while the run's lease is
// current. Callers check immediately before they act, on the session that acts: a check
// made when the RPC started says nothing about the moment of harm (the import waits for
// the source's first bytes for as long as the source takes).

#include <functional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "agent/db_session.h"
#include "agent/keepalived_controller.h"
#include "agent/vip.h"

namespace mmresync::agent {

struct SafetyInputs {
  std::string vip;  // empty: no VIP configured
  InterfaceAddresses* addresses = nullptr;
  KeepalivedController* keepalived = nullptr;
  DbSession* session = nullptr;
  // The run's lease; unset: not checked (only for callers without a run).
  std::function<absl::Status()> lease;
};

// `action` names what would run, for the message.
absl::Status CheckDestructiveAllowed(const SafetyInputs& in, absl::string_view action);

// Only the VIP part: FailedPrecondition when `vip` is on a local interface (or the
// interfaces cannot be read). For work that is harmless to data but must not load the
// master (a full backup onto the disk that holds its datadir).
absl::Status CheckVipNotLocal(const std::string& vip, InterfaceAddresses& addresses,
                              absl::string_view action);

}  // namespace mmresync::agent
