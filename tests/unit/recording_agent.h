#pragma once

// A recording stand-in for one agent (coordinator::AgentApi), for unit tests of steps:
// every request a step sends is kept, in order, as the proto it would put on the wire,
// and the node's state changes the way the agent would change it (read_only, replica
// threads, the configured master), so a step's waits see what they wait for.
//
//   RecordingAgent target(entry, status);
//   ASSERT_TRUE(step.run(ctx).ok());
//   EXPECT_THAT(target.SentTypes(), ElementsAre("mmresync.v1.KeepalivedRequest", ...));
//   v1::ChangeMasterRequest cm = target.Sent<v1::ChangeMasterRequest>().at(0);
//
// Replies carry the detail the agent would write (ChangeMaster: DescribeChangeMaster of
// the request with the agent's repl_user, from common/replication_sql).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/gtid_list.h"
#include "common/replication_sql.h"
#include "coordinator/agent_api.h"
#include "coordinator/agent_requests.h"
#include "coordinator/progress.h"

namespace mmresync::coordinator::fakes {

class RecordingAgent : public AgentApi {
 public:
  RecordingAgent(NodeEntry node, v1::NodeStatus status, std::string repl_user = "repl")
      : node_(std::move(node)), status_(std::move(status)), repl_user_(std::move(repl_user)) {}

  const NodeEntry& node() const override { return node_; }
  absl::StatusOr<v1::NodeStatus> GetStatus(bool) override { return status_; }
  absl::StatusOr<v1::NodeStatus> GetReplicationStatus() override { return status_; }

  absl::StatusOr<v1::ActionReply> Send(const v1::SetReadOnlyRequest& r) override {
    Record(r);
    status_.set_read_only(r.read_only());
    return Reply(absl::StrCat("read_only = ", r.read_only() ? "ON" : "OFF"));
  }
  absl::StatusOr<v1::ActionReply> Send(const v1::KeepalivedRequest& r) override {
    Record(r);
    const bool start = r.action() == v1::KeepalivedRequest::START;
    status_.mutable_keepalived()->set_running(start);
    return Reply(absl::StrCat("keepalived ", start ? "started" : "stopped", " (fake)"));
  }
  absl::StatusOr<v1::ActionReply> Send(const v1::StopReplicaRequest& r) override {
    Record(r);
    status_.mutable_replica()->set_io_running("No");
    status_.mutable_replica()->set_sql_running("No");
    if (r.reset()) status_.mutable_replica()->set_configured(false);
    return Reply(RequestText(r));
  }
  absl::StatusOr<v1::ActionReply> Send(const v1::ChangeMasterRequest& r) override {
    Record(r);
    v1::ReplicaStatus* replica = status_.mutable_replica();
    replica->set_configured(true);
    replica->set_master_host(r.master_host());
    replica->set_master_port(r.master_port());
    replica->set_io_running("No");
    replica->set_sql_running("No");
    // MariaDB: by file/position the IO thread's read position is the one given; by GTID
    // it is emptied until the master answers.
    replica->set_read_master_log_file(r.use_gtid() == "no" ? r.coordinates().file() : "");
    v1::ActionReply reply = Reply(DescribeChangeMaster(ChangeMasterTargetOf(r, repl_user_)));
    if (!r.gtid_slave_pos().empty()) {
      reply.set_gtid_slave_pos(r.gtid_not_behind_own_binlog() ? RaisedToOwn(r.gtid_slave_pos())
                                                              : r.gtid_slave_pos());
    }
    return reply;
  }
  absl::StatusOr<v1::ActionReply> Send(const v1::StartReplicaRequest& r) override {
    Record(r);
    status_.mutable_replica()->set_sql_running("Yes");
    if (refused_starts_ > 0) {
      --refused_starts_;
      status_.mutable_replica()->set_io_running("No");
      status_.mutable_replica()->set_last_io_errno(1236);
      status_.mutable_replica()->set_last_io_error("Got fatal error 1236 from master (fake)");
      return Reply(RequestText(r));
    }
    status_.mutable_replica()->set_io_running("Yes");
    status_.mutable_replica()->set_last_io_errno(0);
    status_.mutable_replica()->clear_last_io_error();
    if (status_.replica().read_master_log_file().empty()) {
      status_.mutable_replica()->set_read_master_log_file(master_first_answer_);
    }
    return Reply(RequestText(r));
  }
  absl::StatusOr<v1::ActionReply> Send(const v1::AuthorizeTransferRequest& r) override {
    Record(r);
    return Reply("transfer authorized");
  }
  absl::StatusOr<v1::Progress> Stream(const v1::BackupRequest& r, const ProgressFn&) override {
    Record(r);
    return absl::UnimplementedError("RecordingAgent: no backup");
  }
  absl::StatusOr<v1::Progress> Stream(const v1::ImportRequest& r, const ProgressFn&) override {
    Record(r);
    return absl::UnimplementedError("RecordingAgent: no import");
  }

  // Every request of type T sent, in order.
  template <typename T>
  std::vector<T> Sent() const {
    std::vector<T> out;
    for (const auto& m : sent_) {
      if (const T* r = dynamic_cast<const T*>(m.get())) out.push_back(*r);
    }
    return out;
  }
  // The full proto type name of every request sent, in order.
  std::vector<std::string> SentTypes() const {
    std::vector<std::string> out;
    for (const auto& m : sent_) out.push_back(m->GetTypeName());
    return out;
  }
  v1::NodeStatus& status() { return status_; }
  // The binlog name the IO thread reads once its master answered START SLAVE ("": a
  // master that never answers).
  void set_master_first_answer(std::string file) { master_first_answer_ = std::move(file); }
  // The next `n` START SLAVEs end with the IO thread stopped on error 1236, as a master
  // that refuses the start position answers.
  void refuse_starts(int n) { refused_starts_ = n; }
  // Every request is also appended to `log` as "<node> <message name>", so a test sees the
  // order across agents.
  void set_shared_log(std::vector<std::string>* log) { shared_log_ = log; }

 private:
  template <typename T>
  void Record(const T& request) {
    sent_.push_back(std::make_unique<T>(request));
    if (shared_log_ != nullptr) {
      shared_log_->push_back(absl::StrCat(node_.name, " ", request.GetDescriptor()->name()));
    }
  }
  static v1::ActionReply Reply(const std::string& detail) {
    v1::ActionReply reply;
    reply.set_detail(detail);
    return reply;
  }

  // The agent's raise (agent::ChangeMasterNotBehindOwnBinlog): per domain, the newer of
  // the requested GTID and the node's own newest (gtid_binlog_state, its server_id).
  std::string RaisedToOwn(const std::string& requested) const {
    auto wanted = ParseGtidList(requested);
    auto state = ParseGtidList(status_.gtid_binlog_state());
    if (!wanted.ok() || !state.ok()) return requested;
    std::vector<Gtid> own;
    for (const Gtid& g : *state) {
      if (g.server == status_.server_id()) own.push_back(g);
    }
    return FormatGtidList(NewestPerDomain(*wanted, own));
  }

  NodeEntry node_;
  v1::NodeStatus status_;
  std::string master_first_answer_ = "mysql-bin.000001";
  std::vector<std::string>* shared_log_ = nullptr;
  int refused_starts_ = 0;
  std::string repl_user_;
  std::vector<std::unique_ptr<google::protobuf::Message>> sent_;
};

// A progress sink that shows nothing, for running steps in unit tests.
class NullSink : public ProgressSink {
 public:
  void Header(const std::string&) override {}
  void StepStarted(const StepInfo&) override {}
  void StepProgress(const StepInfo&, const v1::Progress&) override {}
  void StepNote(const StepInfo&, const std::string&) override {}
  void StepFinished(const StepInfo&, bool, const std::string&, absl::Duration) override {}
  void StepSkipped(const StepInfo&, const std::string&) override {}
  void Footer(bool, const std::string&) override {}
};

}  // namespace mmresync::coordinator::fakes
