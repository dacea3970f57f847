#pragma once

// The target side of a re-seed: pull the source's stream, and only once it has
// started successfully, drop the user schemas and pipe the bytes into the local mariadb
// client. Offsets, the running SHA-256, the footer and the source's exit status are all
// checked; a cut or corrupted stream fails the import.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// A stream of chunks from the source agent.
class DumpStream {
 public:
  virtual ~DumpStream() = default;
  // The next message; nullopt when the stream ended cleanly; an error when it failed.
  virtual absl::StatusOr<std::optional<v1::DumpChunk>> Next() = 0;
  virtual void Cancel() = 0;
  // The check its trailer carries (agreed in BeginTransfer; the dump method's: SHA-256).
  virtual v1::PartChecksum checksum() const { return v1::PART_CHECKSUM_SHA256; }
};

struct TargetImportParams {
  DbSessionFactory* db = nullptr;
  DbConnectParams connect;
  std::string state_dir;
  std::string client_command;
  uint64_t expected_bytes = 0;
  // The agent's fence (safety_guard), run on the session that drops, immediately before
  // the drop and again before the import starts. Required (unset: nothing is dropped):
  // the check at the RPC's start is stale by then, since the first chunk arrives when
  // the source is ready and the drop may wait on metadata locks.
  std::function<absl::Status(DbSession&)> fence_check;
  std::function<void(v1::Progress)> progress = [](v1::Progress) {};
  std::function<bool()> cancelled = [] { return false; };
};

absl::StatusOr<v1::ImportResult> ImportFromStream(const TargetImportParams& params,
                                                  DumpStream& stream);

}  // namespace mmresync::agent
