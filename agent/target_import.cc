#include "agent/target_import.h"
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/client_defaults.h"
#include "agent/dump_process.h"
#include "agent/schema_reset.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

v1::Progress MakeProgress(absl::string_view phase, uint64_t done, uint64_t total,
                          std::string message) {
  v1::Progress p;
  p.set_phase(std::string(phase));
  p.set_bytes_done(done);
  p.set_bytes_total(total);
  p.set_message(std::move(message));
  return p;
}

}  // namespace

absl::StatusOr<v1::ImportResult> ImportFromStream(const TargetImportParams& params,
                                                  DumpStream& stream) {
  // 1. The stream must have started: nothing is dropped before the first data arrived.
  params.progress(MakeProgress("stream", 0, params.expected_bytes, "waiting for the source"));
  auto first = stream.Next();
  if (!first.ok()) {
    return Annotate(first.status(), "source stream failed before any data (nothing was dropped)");
  }
  if (!first->has_value() || (*first)->data().empty()) {
    return absl::DataLossError("source stream ended before any data (nothing was dropped)");
  }
  if ((*first)->offset() != 0) {
    return absl::DataLossError(absl::StrCat("source stream starts at offset ", (*first)->offset(),
                                            " (nothing was dropped)"));
  }

  // 2. Drop the user schemas, then import. From here on a failure leaves the target
  // partially imported; it stays fenced and the caller reports where the backup is.
  if (!params.fence_check) {
    return absl::InternalError("import without a fence check (nothing was dropped)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, params.db->Open());
  RETURN_IF_ERROR(WithNote(params.fence_check(*session), "nothing was dropped"));
  ASSIGN_OR_RETURN(std::vector<std::string> dropped, DropUserSchemas(*session));
  params.progress(
      MakeProgress("drop", 0, params.expected_bytes,
                   absl::StrCat("dropped ", dropped.size(), " user schema(s)",
                                dropped.empty() ? "" : ": ", absl::StrJoin(dropped, ", "))));

  // The drop can wait long on metadata locks: check again before importing.
  RETURN_IF_ERROR(WithNote(params.fence_check(*session),
                           "the user schemas were dropped, nothing was imported"));
  ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(params.state_dir, params.connect));
  ImportProcess import;
  RETURN_IF_ERROR(import.Start(params.client_command, defaults.path()));
  auto fail = [&](absl::Status s) {
    import.Abort();
    stream.Cancel();
    return s;
  };

  Sha256 sha;
  uint64_t received = 0;
  absl::Time last_report = absl::InfinitePast();
  std::optional<v1::DumpChunk> chunk = std::move(*first);
  std::optional<v1::DumpTrailer> trailer;
  while (chunk.has_value()) {
    if (params.cancelled()) return fail(absl::CancelledError("import cancelled"));
    if (chunk->offset() != received) {
      return fail(absl::DataLossError(
          absl::StrCat("stream offset ", chunk->offset(), " but ", received, " bytes received")));
    }
    if (chunk->has_trailer()) {
      trailer = chunk->trailer();
      break;
    }
    sha.Update(chunk->data());
    received += chunk->data().size();
    if (absl::Status s = import.Write(chunk->data()); !s.ok()) {
      return fail(s);
    }
    MMRESYNC_FAULT_POINT_BYTES_OR("target_stream", chunk->data().size(), fail);
    if (absl::Now() - last_report > absl::Milliseconds(250)) {
      last_report = absl::Now();
      params.progress(MakeProgress("stream", received, params.expected_bytes, ""));
    }
    auto next = stream.Next();
    if (!next.ok()) return fail(Annotate(next.status(), "source stream"));
    chunk = std::move(*next);
  }

  if (!trailer.has_value()) {
    return fail(absl::DataLossError(
        absl::StrCat("source stream ended after ", received, " bytes without a trailer")));
  }
  if (trailer->bytes() != received) {
    return fail(absl::DataLossError(
        absl::StrCat("source sent ", trailer->bytes(), " bytes, received ", received)));
  }
  if (trailer->sha256() != sha.HexDigest()) {
    return fail(
        absl::DataLossError("stream checksum mismatch (SHA-256 of received bytes "
                            "differs from the source's)"));
  }
  if (!trailer->footer_seen() || trailer->exit_status() != 0) {
    return fail(absl::DataLossError(
        absl::StrCat("source dump incomplete (footer seen: ", trailer->footer_seen(),
                     ", exit status ", trailer->exit_status(), ")")));
  }
  params.progress(MakeProgress("finalize", received, received, "waiting for the import to finish"));
  RETURN_IF_ERROR(import.Finish());

  ASSIGN_OR_RETURN(int disabled, DisableEventsOnReplica(*session));

  v1::ImportResult result;
  *result.mutable_source_snapshot() = trailer->snapshot();
  result.set_bytes(received);
  result.set_sha256(trailer->sha256());
  result.set_global_read_lock_used(trailer->global_read_lock_used());
  result.set_schemas(trailer->schemas());
  result.set_accounts(trailer->accounts());
  result.set_events_disabled(static_cast<uint32_t>(disabled));
  result.set_source_lock_ms(trailer->lock_ms());
  return result;
}

}  // namespace mmresync::agent
