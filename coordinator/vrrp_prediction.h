#pragma once

// Will the target's keepalived take the VIP from the source when the unfence step starts
// it again? Predicted from both nodes' keepalived.conf as the agents report it, so `plan`
// and `recover` can warn before anything runs, and unfence can give the reason when the
// VIP does move. VRRP as keepalived implements it: the highest priority becomes master;
// a BACKUP with a higher priority than the master preempts it (after preempt_delay)
// unless nopreempt is set, and nopreempt is honoured only with state BACKUP; priority 255
// is the address owner and always takes over; equal priority does not preempt.

#include <string>

#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

struct TakeoverPrediction {
  enum class Outcome { kStays, kTakes, kUnknown };
  Outcome outcome = Outcome::kUnknown;
  std::string reason;    // names nodes, files and values: why, or why it cannot be told
  uint32_t delay_s = 0;  // preempt_delay of the taker (kTakes only)
};

// `holder` has the VIP now; `starting` is the node whose keepalived is about to start.
TakeoverPrediction PredictTakeover(const v1::NodeStatus& holder, const v1::NodeStatus& starting);

// "VI_1: BACKUP, priority 100, nopreempt (/etc/keepalived/keepalived.conf:12)", or why
// the config says nothing ("config: cannot read ..."). Without the origin for tables.
std::string DescribeVrrp(const v1::KeepalivedState& k, bool with_origin = true);

}  // namespace mmresync::coordinator
