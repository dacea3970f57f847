#include "coordinator/agent_requests.h"

#include "common/replication_sql.h"

namespace mmresync::coordinator {

v1::SetReadOnlyRequest SetReadOnlyRequestFor(const std::string& run_id, bool read_only) {
  v1::SetReadOnlyRequest req;
  req.set_run_id(run_id);
  req.set_read_only(read_only);
  return req;
}

v1::KeepalivedRequest KeepalivedRequestFor(const std::string& run_id, bool start) {
  v1::KeepalivedRequest req;
  req.set_run_id(run_id);
  req.set_action(start ? v1::KeepalivedRequest::START : v1::KeepalivedRequest::STOP);
  return req;
}

v1::ImportRequest ImportRequestFor(const ImportSettings& settings) {
  v1::ImportRequest req;
  req.set_source_agent(settings.source_agent);
  req.set_source_node(settings.source_node);
  req.set_expected_bytes(settings.expected_bytes);
  req.set_backup_skipped(settings.backup_skipped);
  req.set_method(settings.method);
  req.set_workers(settings.workers);
  req.set_compression(settings.compression);
  return req;
}

v1::ImportRequest ImportRequestForRun(v1::ImportRequest request, const std::string& run_id,
                                      const std::string& token) {
  request.set_run_id(run_id);
  request.set_token(token);
  return request;
}

v1::StopReplicaRequest StopReplicaRequestFor(const std::string& run_id, bool reset) {
  v1::StopReplicaRequest req;
  req.set_run_id(run_id);
  req.set_reset(reset);
  return req;
}

v1::ChangeMasterRequest ChangeMasterRequestFor(const std::string& run_id, const std::string& host,
                                               uint32_t port, const v1::BinlogCoordinates& coords,
                                               const std::string& use_gtid,
                                               const std::string& gtid_slave_pos,
                                               bool not_behind_own_binlog) {
  v1::ChangeMasterRequest req;
  req.set_run_id(run_id);
  req.set_master_host(host);
  req.set_master_port(port);
  *req.mutable_coordinates() = coords;
  req.set_use_gtid(use_gtid);
  req.set_gtid_slave_pos(gtid_slave_pos);
  req.set_gtid_not_behind_own_binlog(not_behind_own_binlog);
  return req;
}

v1::StartReplicaRequest StartReplicaRequestFor(const std::string& run_id) {
  v1::StartReplicaRequest req;
  req.set_run_id(run_id);
  return req;
}

v1::AuthorizeTransferRequest AuthorizeTransferRequestFor(const std::string& run_id,
                                                         const std::string& token,
                                                         const std::string& peer_node) {
  v1::AuthorizeTransferRequest req;
  req.set_run_id(run_id);
  req.set_token(token);
  req.set_peer_node(peer_node);
  return req;
}

v1::BackupRequest BackupRequestFor(const std::string& run_id, const std::string& mode) {
  v1::BackupRequest req;
  req.set_run_id(run_id);
  req.set_mode(mode);
  return req;
}

std::string RequestText(const v1::SetReadOnlyRequest& request) {
  return SetReadOnlyStatement(request.read_only());
}

std::string RequestText(const v1::StopReplicaRequest& request) {
  return JoinStatements(StopReplicaStatements(request.reset()));
}

std::string RequestText(const v1::StartReplicaRequest&) {
  return std::string(kStartReplicaStatement);
}

std::string RequestText(const v1::ChangeMasterRequest& request, const std::string& repl_user,
                        absl::string_view log_pos_text) {
  return DescribeChangeMaster(ChangeMasterTargetOf(request, repl_user), log_pos_text);
}

}  // namespace mmresync::coordinator
