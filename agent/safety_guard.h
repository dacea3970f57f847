#pragma once

// The agent's own refusal of destructive actions (drop, import, RESET SLAVE), whatever
// the coordinator asks: never on the node holding the VIP, and only on a fenced node
// (keepalived stopped where it is managed, read_only on).

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
};

// `action` names what would run, for the message.
absl::Status CheckDestructiveAllowed(const SafetyInputs& in, absl::string_view action);

}  // namespace mmresync::agent
