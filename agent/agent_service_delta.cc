// The delta method's handlers: DigestChunks and FetchPart by key ranges on the source,
// and the import on the target (delta_import.h). Validation and the mapping of
// statuses only; the work is in delta_source.cc and delta_import.cc.

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/agent_service.h"
#include "agent/delta_import.h"
#include "agent/key_range.h"
#include "agent/mariadb_session.h"
#include "agent/peer_fetch.h"
#include "agent/transfer_source.h"
#include "common/delta_sizing.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/validate.h"

namespace mmresync::agent {
namespace {

absl::StatusOr<std::vector<v1::KeyRange>> CheckedRanges(
    const google::protobuf::RepeatedPtrField<v1::KeyRange>& ranges) {
  if (ranges.empty() || ranges.size() > kMaxRangesPerRequest) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ranges: ", ranges.size(), " (must be 1-", kMaxRangesPerRequest, ")"));
  }
  return std::vector<v1::KeyRange>(ranges.begin(), ranges.end());
}

absl::StatusOr<SourceTransfer*> DeltaSession(const std::shared_ptr<TransferSession>& session) {
  auto* source = dynamic_cast<SourceTransfer*>(session.get());
  if (source == nullptr || source->manifest().method() != "delta") {
    return absl::FailedPreconditionError("key ranges need a delta transfer session");
  }
  return source;
}

}  // namespace

grpc::Status AgentService::DigestChunks(grpc::ServerContext* context,
                                        const v1::DigestChunksRequest* r,
                                        v1::DigestChunksReply* reply) {
  auto peer = AgentPeer(context);
  absl::Status s = peer.status();
  if (s.ok()) s = ValidateSessionId(r->session_id());
  absl::StatusOr<std::vector<v1::KeyRange>> ranges = CheckedRanges(r->ranges());
  if (s.ok()) s = ranges.status();
  if (!s.ok()) return Fail("digest chunks", s);
  auto session = transfers_.Attach(r->session_id(), *peer, context);
  if (!session.ok()) return Fail("digest chunks", session.status());
  absl::StatusOr<SourceTransfer*> source = DeltaSession(*session);
  absl::StatusOr<v1::DigestChunksReply> digests =
      source.ok() ? (*source)->DigestChunks(r->part_id(), *ranges,
                                            [context] { return context->IsCancelled(); })
                  : absl::StatusOr<v1::DigestChunksReply>(source.status());
  transfers_.Detach(r->session_id(), context);
  if (!digests.ok()) return Fail("digest chunks", digests.status());
  *reply = std::move(*digests);
  return grpc::Status::OK;
}

absl::Status AgentService::ServeRanges(grpc::ServerContext* context, const v1::FetchPartRequest& r,
                                       std::shared_ptr<TransferSession> session,
                                       const std::function<bool(const v1::DumpChunk&)>& send) {
  ASSIGN_OR_RETURN(std::vector<v1::KeyRange> ranges, CheckedRanges(r.ranges()));
  ASSIGN_OR_RETURN(SourceTransfer * source, DeltaSession(session));
  return source->ServeRanges(r.part_id(), ranges, send,
                             [context] { return context->IsCancelled(); });
}

absl::StatusOr<v1::ImportResult> AgentService::ImportDeltaFromPeer(const v1::ImportRequest& r,
                                                                   const TargetImportParams& params,
                                                                   int compression) {
  // The certificate files as they are now (renewed ones included), as for every method.
  ASSIGN_OR_RETURN(auto creds, PeerCredentials());
  GrpcTransferPeer peer(creds, r.source_agent(), r.source_node(), r.token(), r.run_id());
  peer.set_compression(compression);
  // The source's snapshot connections: one per table compared at once (delta_import.cc
  // compares as many tables at a time as there are); the repair's fetches come after.
  // The source caps its connections at twice its own cores.
  const uint32_t workers = CompareLanes(r.workers(), std::thread::hardware_concurrency());
  auto manifest = peer.BeginDelta(workers);
  if (!manifest.ok()) {
    return Annotate(manifest.status(), "transfer session could not begin (nothing was changed)");
  }
  DbConnectParams loader_connect = deps_.connect;
  loader_connect.local_infile = true;
  MariadbSessionFactory loaders(loader_connect);
  DeltaImportParams dp;
  dp.logical.base = params;
  dp.logical.loaders = &loaders;
  dp.run_id = r.run_id();
  dp.dump_command = deps_.config.mariadb.dump_command;
  dp.accounts = Accounts();
  auto result = ImportDelta(dp, peer, *manifest);
  if (!result.ok()) peer.Abandon();
  return result;
}

}  // namespace mmresync::agent
