#pragma once

// The target agent's client for the source agent's data streams (agent-to-agent, mutual
// TLS): FetchDump (dump method) and the transfer session (BeginTransfer, FetchPart,
// EndTransfer; logical method). The source's certificate must name the expected node.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "agent/target_import.h"
#include "mmresync/v1/agent.grpc.pb.h"

namespace mmresync::agent {

// One server stream of chunks; the source's identity is checked at the first message.
class PeerDumpStream : public DumpStream {
 public:
  using Starter = std::function<std::unique_ptr<grpc::ClientReader<v1::DumpChunk>>(
      v1::Agent::Stub&, grpc::ClientContext&)>;
  static std::unique_ptr<PeerDumpStream> Start(std::shared_ptr<grpc::Channel> channel,
                                               const std::string& source_node, Starter start);
  // FetchDump of the dump method.
  static absl::StatusOr<std::unique_ptr<PeerDumpStream>> Open(
      std::shared_ptr<grpc::ChannelCredentials> creds, const std::string& source_agent,
      const std::string& source_node, const std::string& token, const std::string& run_id);
  ~PeerDumpStream() override;

  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override;
  void Cancel() override;
  v1::PartChecksum checksum() const override { return checksum_; }
  void set_checksum(v1::PartChecksum checksum) { checksum_ = checksum; }

 private:
  PeerDumpStream() = default;
  std::string source_node_;
  v1::PartChecksum checksum_ = v1::PART_CHECKSUM_SHA256;
  bool identity_checked_ = false;
  bool finished_ = false;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::DumpChunk>> reader_;
};

// The source's transfer session as the target's logical import sees it (an interface so
// unit tests can serve parts from memory).
class TransferPeer {
 public:
  virtual ~TransferPeer() = default;
  virtual absl::StatusOr<v1::BeginTransferReply> Begin(uint32_t workers) = 0;
  // Thread-safe: several parts are fetched at once.
  virtual absl::StatusOr<std::unique_ptr<DumpStream>> Fetch(uint32_t part_id) = 0;
  virtual absl::Status End() = 0;
  // delta: the digests of `ranges` of a table part, and the part's rows in `ranges`.
  // Thread-safe like Fetch.
  virtual absl::StatusOr<v1::DigestChunksReply> DigestChunks(
      uint32_t part_id, const std::vector<v1::KeyRange>& ranges) {
    return absl::UnimplementedError("this peer has no delta session");
  }
  virtual absl::StatusOr<std::unique_ptr<DumpStream>> FetchRanges(
      uint32_t part_id, const std::vector<v1::KeyRange>& ranges) {
    return absl::UnimplementedError("this peer has no delta session");
  }
  // After a failure: tells the source to end the session if it answers within a moment,
  // and never waits longer (a frozen or gone source ends it by itself when it stalls).
  virtual void Abandon() { (void)End(); }
};

class GrpcTransferPeer : public TransferPeer {
 public:
  GrpcTransferPeer(std::shared_ptr<grpc::ChannelCredentials> creds, const std::string& source_agent,
                   std::string source_node, std::string token, std::string run_id);
  absl::StatusOr<v1::BeginTransferReply> Begin(uint32_t workers) override;
  // The physical method's session: `parallel` for mariadb-backup, and the account this
  // agent logs in as (the source answers with a digest of its definition there).
  absl::StatusOr<v1::BeginTransferReply> BeginPhysical(uint32_t parallel,
                                                       const std::string& agent_account);
  // The delta method's session: the logical one plus key-range digests and fetches.
  absl::StatusOr<v1::BeginTransferReply> BeginDelta(uint32_t workers);
  absl::StatusOr<std::unique_ptr<DumpStream>> Fetch(uint32_t part_id) override;
  absl::StatusOr<v1::DigestChunksReply> DigestChunks(
      uint32_t part_id, const std::vector<v1::KeyRange>& ranges) override;
  absl::StatusOr<std::unique_ptr<DumpStream>> FetchRanges(
      uint32_t part_id, const std::vector<v1::KeyRange>& ranges) override;
  absl::Status End() override;
  void Abandon() override;
  // What Fetch asks the source for: kCompressionAuto (the default), none or a level.
  void set_compression(int level) { compression_ = level; }

 private:
  absl::Status CheckIdentity(const grpc::ClientContext& context) const;
  absl::StatusOr<v1::BeginTransferReply> BeginRequest(v1::BeginTransferRequest request);
  absl::Status EndWithin(absl::Duration deadline);
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  std::string source_node_;
  std::string token_;
  std::string run_id_;
  std::string session_id_;
  v1::PartChecksum part_checksum_ = v1::PART_CHECKSUM_SHA256;  // the session's, from Begin
  int compression_ = -1;                                       // kCompressionAuto
};

}  // namespace mmresync::agent
