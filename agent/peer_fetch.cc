#include "agent/peer_fetch.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/tls.h"

namespace mmresync::agent {

absl::StatusOr<std::unique_ptr<PeerDumpStream>> PeerDumpStream::Open(
    std::shared_ptr<grpc::ChannelCredentials> creds, const std::string& source_agent,
    const std::string& source_node, const std::string& token, const std::string& run_id) {
  std::unique_ptr<PeerDumpStream> s(new PeerDumpStream);
  s->source_node_ = source_node;
  s->channel_ = MakeChannel(source_agent, std::move(creds));
  s->stub_ = v1::Agent::NewStub(s->channel_);
  // No overall deadline (a large dump takes hours); HTTP/2 keepalive notices a dead peer.
  s->context_.set_wait_for_ready(false);
  v1::FetchDumpRequest request;
  request.set_token(token);
  request.set_run_id(run_id);
  s->reader_ = s->stub_->FetchDump(&s->context_, request);
  return s;
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
      auto role = ServerRoleOf(context_);
      if (!role.ok() || role->kind != PeerRole::Kind::kAgent || role->node != source_node_) {
        Cancel();
        return absl::PermissionDeniedError(
            absl::StrCat("the source agent's certificate does not name agent ", source_node_));
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

}  // namespace mmresync::agent
