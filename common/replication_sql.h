#pragma once

// The SQL an agent runs to stop, point, start and fence replication, built in one place:
// the agent executes it, and the coordinator's `plan` prints it (password masked) from
// the same request values it sends, so the two cannot drift.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync {

struct ChangeMasterTarget {
  std::string host;
  uint32_t port = 3306;
  std::string user;
  std::string password;  // never logged; masked in DescribeChangeMaster
  std::string log_file;
  uint64_t log_pos = 0;
  // "no" (or empty): file/position. "slave_pos" | "current_pos": @@gtid_slave_pos is set
  // to gtid_slave_pos first and the server finds the position itself (file/position unused).
  std::string use_gtid;
  std::string gtid_slave_pos;
};

// Whether `target` replicates by GTID (use_gtid slave_pos or current_pos).
bool UsesGtid(const ChangeMasterTarget& target);

// What the agent makes of a ChangeMasterRequest: its fields plus the agent's own
// replication account (`user`, agent.toml's mariadb.repl_user); the password is added by
// the agent from its secret file.
ChangeMasterTarget ChangeMasterTargetOf(const v1::ChangeMasterRequest& request,
                                        const std::string& user);

// The statements of one CHANGE MASTER, in the order the agent runs them.
struct ChangeMasterStatements {
  std::string stop;                         // STOP SLAVE
  std::optional<std::string> set_gtid_pos;  // SET GLOBAL gtid_slave_pos = '…' (GTID modes)
  std::string change;                       // CHANGE MASTER TO …
};
// `password_literal`: the quoted password (agent) or "'***'" (plans and logs).
// `log_pos_text`: shown instead of target.log_pos when not empty (a plan's "<snapshot pos>").
ChangeMasterStatements BuildChangeMaster(const ChangeMasterTarget& target,
                                         absl::string_view password_literal,
                                         absl::string_view log_pos_text = "");

// "STOP SLAVE; [SET GLOBAL gtid_slave_pos = '…'; ]CHANGE MASTER TO …, MASTER_PASSWORD='***', …"
// for plans and logs.
std::string DescribeChangeMaster(const ChangeMasterTarget& target,
                                 absl::string_view log_pos_text = "");

// STOP SLAVE, then RESET SLAVE when `reset`.
std::vector<std::string> StopReplicaStatements(bool reset);
inline constexpr absl::string_view kStartReplicaStatement = "START SLAVE";
std::string SetReadOnlyStatement(bool read_only);

// Statements joined as a plan shows them: "STOP SLAVE; RESET SLAVE".
std::string JoinStatements(const std::vector<std::string>& statements);

}  // namespace mmresync
