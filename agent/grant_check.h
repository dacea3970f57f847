#pragma once

// Least privilege, checked (issue 11): what SHOW GRANTS says about the account the agent
// logs in as and about the replication account its peer logs in with. `status` shows the
// result per node and the pre-flight refuses a run when a needed privilege is missing, so
// a re-seed never stops half-way on "access denied" with the target already fenced.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// The global (ON *.*) privileges named by SHOW GRANTS lines, upper case; "ALL PRIVILEGES"
// stays one entry, and WITH GRANT OPTION adds "GRANT OPTION". Grants on single schemas or
// tables, PROXY and role grants are not counted: the agent works on every schema.
std::vector<std::string> GlobalPrivileges(const std::vector<std::string>& show_grants);

// The privileges the agent's own account needs that `held` lacks (GlobalPrivileges()),
// by the name the operator grants. `server_version` is @@version: from 10.11 SUPER no
// longer covers READ_ONLY ADMIN (SET GLOBAL read_only).
std::vector<std::string> MissingAgentPrivileges(const std::vector<std::string>& held,
                                                absl::string_view server_version);

// REPLICATION SLAVE (or ALL PRIVILEGES), or nothing: what the replication account needs.
std::vector<std::string> MissingReplicationPrivileges(const std::vector<std::string>& held);

// Fills status->agent_privileges() (SHOW GRANTS of the current user) and
// status->repl_privileges() (every `repl_user`@host account; missing when there is none).
// A grant that cannot be read is reported in the check's `error`, never as "ok".
void CollectPrivilegeFacts(DbSession& session, const std::string& repl_user,
                           absl::string_view server_version, v1::NodeStatus* status);

}  // namespace mmresync::agent
