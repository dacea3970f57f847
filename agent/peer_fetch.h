#pragma once

// The target agent's client for the source agent's FetchDump stream (agent-to-agent,
// mutual TLS). The source's certificate must name the expected source node.

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "agent/target_import.h"
#include "mmresync/v1/agent.grpc.pb.h"

namespace mmresync::agent {

class PeerDumpStream : public DumpStream {
 public:
  // Starts the call; fails if the channel cannot be set up.
  static absl::StatusOr<std::unique_ptr<PeerDumpStream>> Open(
      std::shared_ptr<grpc::ChannelCredentials> creds, const std::string& source_agent,
      const std::string& source_node, const std::string& token, const std::string& run_id);
  ~PeerDumpStream() override;

  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override;
  void Cancel() override;

 private:
  PeerDumpStream() = default;
  std::string source_node_;
  bool identity_checked_ = false;
  bool finished_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::DumpChunk>> reader_;
};

}  // namespace mmresync::agent
