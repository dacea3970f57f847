#include "agent/peer_fetch.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/part_checksum.h"
#include "common/status_macros.h"
#include "common/tls.h"

namespace mmresync::agent {
namespace {

absl::Status CheckSourceIdentity(const grpc::ClientContext& context, const std::string& node) {
  auto role = ServerRoleOf(context);
  if (!role.ok() || role->kind != PeerRole::Kind::kAgent || role->node != node) {
    return absl::PermissionDeniedError(
        absl::StrCat("the source agent's certificate does not name agent ", node));
  }
  return absl::OkStatus();
}

}  // namespace

std::unique_ptr<PeerDumpStream> PeerDumpStream::Start(std::shared_ptr<grpc::Channel> channel,
                                                      const std::string& source_node,
                                                      Starter start) {
  std::unique_ptr<PeerDumpStream> s(new PeerDumpStream);
  s->source_node_ = source_node;
  s->channel_ = std::move(channel);
  s->stub_ = v1::Agent::NewStub(s->channel_);
  // No overall deadline (a large part takes hours); HTTP/2 keepalive notices a dead peer.
  s->context_.set_wait_for_ready(false);
  s->reader_ = start(*s->stub_, s->context_);
  return s;
}

absl::StatusOr<std::unique_ptr<PeerDumpStream>> PeerDumpStream::Open(
    std::shared_ptr<grpc::ChannelCredentials> creds, const std::string& source_agent,
    const std::string& source_node, const std::string& token, const std::string& run_id) {
  v1::FetchDumpRequest request;
  request.set_token(token);
  request.set_run_id(run_id);
  return Start(MakeBulkDataChannel(source_agent, std::move(creds)), source_node,
               [request](v1::Agent::Stub& stub, grpc::ClientContext& context) {
                 return stub.FetchDump(&context, request);
               });
}

PeerDumpStream::~PeerDumpStream() {
  if (reader_ != nullptr && !finished_) {
    context_.TryCancel();
    (void)reader_->Finish();
  }
}

absl::StatusOr<std::optional<v1::DumpChunk>> PeerDumpStream::Next() {
  if (finished_) return std::optional<v1::DumpChunk>();
  v1::DumpChunk chunk;
  if (reader_->Read(&chunk)) {
    if (!identity_checked_) {
      if (absl::Status s = CheckSourceIdentity(context_, source_node_); !s.ok()) {
        Cancel();
        return s;
      }
      identity_checked_ = true;
    }
    return std::optional<v1::DumpChunk>(std::move(chunk));
  }
  finished_ = true;
  grpc::Status status = reader_->Finish();
  if (!status.ok()) return Annotate(FromGrpc(status), absl::StrCat("source agent ", source_node_));
  return std::optional<v1::DumpChunk>();
}

void PeerDumpStream::Cancel() { context_.TryCancel(); }

GrpcTransferPeer::GrpcTransferPeer(std::shared_ptr<grpc::ChannelCredentials> creds,
                                   const std::string& source_agent, std::string source_node,
                                   std::string token, std::string run_id)
    : channel_(MakeBulkDataChannel(source_agent, std::move(creds))),
      stub_(v1::Agent::NewStub(channel_)),
      source_node_(std::move(source_node)),
      token_(std::move(token)),
      run_id_(std::move(run_id)) {}

absl::Status GrpcTransferPeer::CheckIdentity(const grpc::ClientContext& context) const {
  return CheckSourceIdentity(context, source_node_);
}

absl::StatusOr<v1::BeginTransferReply> GrpcTransferPeer::Begin(uint32_t workers) {
  v1::BeginTransferRequest request;
  request.set_workers(workers);
  return BeginRequest(std::move(request));
}

absl::StatusOr<v1::BeginTransferReply> GrpcTransferPeer::BeginPhysical(
    uint32_t parallel, const std::string& agent_account) {
  v1::BeginTransferRequest request;
  request.set_workers(parallel);
  request.set_method("physical");
  request.set_agent_account(agent_account);
  return BeginRequest(std::move(request));
}

absl::StatusOr<v1::BeginTransferReply> GrpcTransferPeer::BeginDelta(uint32_t workers) {
  v1::BeginTransferRequest request;
  request.set_workers(workers);
  request.set_method("delta");
  return BeginRequest(std::move(request));
}

absl::StatusOr<v1::DigestChunksReply> GrpcTransferPeer::DigestChunks(
    uint32_t part_id, const std::vector<v1::KeyRange>& ranges) {
  grpc::ClientContext context;
  // Reading a few thousand ranges of a table: bounded, never hours.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
  v1::DigestChunksRequest request;
  request.set_session_id(session_id_);
  request.set_part_id(part_id);
  for (const auto& r : ranges) *request.add_ranges() = r;
  v1::DigestChunksReply reply;
  grpc::Status status = stub_->DigestChunks(&context, request, &reply);
  if (!status.ok()) return Annotate(FromGrpc(status), absl::StrCat("source agent ", source_node_));
  RETURN_IF_ERROR(CheckIdentity(context));
  if (reply.chunks_size() != static_cast<int>(ranges.size())) {
    return absl::DataLossError(absl::StrCat("source agent ", source_node_, " digested ",
                                            reply.chunks_size(), " of ", ranges.size(), " ranges"));
  }
  return reply;
}

absl::StatusOr<std::unique_ptr<DumpStream>> GrpcTransferPeer::FetchRanges(
    uint32_t part_id, const std::vector<v1::KeyRange>& ranges) {
  v1::FetchPartRequest request;
  request.set_session_id(session_id_);
  request.set_part_id(part_id);
  request.set_zstd_level(compression_);
  for (const auto& r : ranges) *request.add_ranges() = r;
  std::unique_ptr<PeerDumpStream> stream = PeerDumpStream::Start(
      channel_, source_node_, [request](v1::Agent::Stub& stub, grpc::ClientContext& context) {
        return stub.FetchPart(&context, request);
      });
  stream->set_checksum(part_checksum_);
  return std::unique_ptr<DumpStream>(std::move(stream));
}

absl::StatusOr<v1::BeginTransferReply> GrpcTransferPeer::BeginRequest(
    v1::BeginTransferRequest request) {
  grpc::ClientContext context;
  // The source waits at most lock_wait_timeout for each backup stage and runs two
  // schema-only dumps: minutes at worst, never unbounded.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  request.set_token(token_);
  request.set_run_id(run_id_);
  request.set_part_checksum(v1::PART_CHECKSUM_XXH3_128);
  request.set_row_encoding(v1::ROW_ENCODING_COMPACT);
  v1::BeginTransferReply reply;
  grpc::Status status = stub_->BeginTransfer(&context, request, &reply);
  if (!status.ok()) return Annotate(FromGrpc(status), absl::StrCat("source agent ", source_node_));
  if (absl::Status s = CheckIdentity(context); !s.ok()) return s;
  if (!PartChecksum::Known(reply.part_checksum())) {
    return absl::FailedPreconditionError(
        absl::StrCat("source agent ", source_node_, " checks parts with an unknown algorithm (",
                     static_cast<int>(reply.part_checksum()),
                     "): run the same mmresync-agent version on both nodes"));
  }
  session_id_ = reply.session_id();
  part_checksum_ = reply.part_checksum();
  return reply;
}

absl::StatusOr<std::unique_ptr<DumpStream>> GrpcTransferPeer::Fetch(uint32_t part_id) {
  return FetchRanges(part_id, {});
}

absl::Status GrpcTransferPeer::End() { return EndWithin(absl::Seconds(30)); }

void GrpcTransferPeer::Abandon() {
  if (absl::Status s = EndWithin(absl::Seconds(2)); !s.ok()) {
    log::Warning("the source's transfer session is left to expire there: ", s.message());
  }
}

absl::Status GrpcTransferPeer::EndWithin(absl::Duration deadline) {
  if (session_id_.empty()) return absl::OkStatus();
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  v1::EndTransferRequest request;
  request.set_session_id(session_id_);
  v1::ActionReply reply;
  grpc::Status status = stub_->EndTransfer(&context, request, &reply);
  if (!status.ok()) return Annotate(FromGrpc(status), absl::StrCat("source agent ", source_node_));
  session_id_.clear();
  return absl::OkStatus();
}

}  // namespace mmresync::agent
