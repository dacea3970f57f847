#pragma once

// The pre-flight's configuration checks (issue 8): what must agree between the two nodes
// for the pair to work after a re-seed. Each is a named row of `plan` and of `recover`'s
// refusal, with pass / warn / fail and the values seen; any fail refuses the run (exit 3)
// before anything changes. Pure functions over what the agents reported.

#include <string>
#include <vector>

#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

enum class CheckResult { kPass, kWarn, kFail };

struct PreflightCheck {
  std::string name;  // stable: "auto_increment", "binlog_format", ...
  CheckResult result = CheckResult::kPass;
  std::string detail;  // the values seen, and for warn/fail the consequence and the fix
};

// `method` is the transfer method the run is expected to use (logical | dump | physical).
std::vector<PreflightCheck> ConfigurationChecks(const v1::NodeStatus& source,
                                                const v1::NodeStatus& target,
                                                const std::string& method);

// One node's grants (NodeStatus.agent_privileges / repl_privileges), row
// "privileges <node>": FAIL naming each missing privilege and the account, or the reason
// they could not be read; warn when the agent did not report them.
PreflightCheck PrivilegesCheck(const v1::NodeStatus& node);

bool AnyFailed(const std::vector<PreflightCheck>& checks);

// "pass" | "warn" | "FAIL".
const char* ResultWord(CheckResult result);

// One line per check: "  pass  auto_increment      increment 2, offsets 1 (db1) / 2 (db2)".
// Node facts in `detail` are untrusted text: print through the terminal escaping.
std::string RenderChecks(const std::vector<PreflightCheck>& checks);

}  // namespace mmresync::coordinator
