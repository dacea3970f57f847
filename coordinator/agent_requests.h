#pragma once

// The request protos the coordinator sends to change a node, and the text `plan` shows
// for each: the SQL the agent runs for that request, from the builders the agent runs it
// with (common/replication_sql), the replication password masked. A step builds its
// request here once; the executor sends exactly that request and the plan describes it.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

v1::SetReadOnlyRequest SetReadOnlyRequestFor(const std::string& run_id, bool read_only);
v1::KeepalivedRequest KeepalivedRequestFor(const std::string& run_id, bool start);
v1::StopReplicaRequest StopReplicaRequestFor(const std::string& run_id, bool reset);
// `use_gtid` "no" (or empty): `coords` file/position; "slave_pos" | "current_pos": the
// replica's gtid_slave_pos is set to `gtid_slave_pos` and the server finds the position
// (the agent ignores `coords`). `not_behind_own_binlog`: the agent raises gtid_slave_pos to its
// own newest GTIDs first (gtid_strict_mode).
v1::ChangeMasterRequest ChangeMasterRequestFor(const std::string& run_id, const std::string& host,
                                               uint32_t port, const v1::BinlogCoordinates& coords,
                                               const std::string& use_gtid,
                                               const std::string& gtid_slave_pos,
                                               bool not_behind_own_binlog = false);
v1::StartReplicaRequest StartReplicaRequestFor(const std::string& run_id);
v1::AuthorizeTransferRequest AuthorizeTransferRequestFor(const std::string& run_id,
                                                         const std::string& token,
                                                         const std::string& peer_node);
// `mode`: "park" | "dump".
v1::BackupRequest BackupRequestFor(const std::string& run_id, const std::string& mode);

// The target's import of the source's snapshot, as the plan describes it: all but what
// only the run has (its id and the one-time token), which ImportRequestForRun adds.
struct ImportSettings {
  std::string source_agent;  // host:port
  std::string source_node;
  uint64_t expected_bytes = 0;
  bool backup_skipped = false;
  std::string method;  // the --method asked for ("auto", "logical", ...)
  uint32_t workers = 0;
  std::string compression;
};
v1::ImportRequest ImportRequestFor(const ImportSettings& settings);
v1::ImportRequest ImportRequestForRun(v1::ImportRequest request, const std::string& run_id,
                                      const std::string& token);

// The SQL each request makes its agent run, as `plan` prints it.
std::string RequestText(const v1::SetReadOnlyRequest& request);
std::string RequestText(const v1::StopReplicaRequest& request);
std::string RequestText(const v1::StartReplicaRequest& request);
// `repl_user`: the replica's agent's mariadb.repl_user, which the
// agent puts in MASTER_USER. `log_pos_text`: a plan's placeholder for a position not
// known yet ("<snapshot pos>"); empty: the request's position.
std::string RequestText(const v1::ChangeMasterRequest& request, const std::string& repl_user,
                        absl::string_view log_pos_text = "");

}  // namespace mmresync::coordinator
