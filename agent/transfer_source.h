#pragma once

// The source side of the logical method: one consistent snapshot shared by several
// connections, served to the target part by part.
//
// Begin, in this order (each step's lock is the shortest that keeps the copy exact):
//   1. BACKUP STAGE START, BLOCK_DDL (bounded by lock_wait_timeout): table/view/routine/
//      trigger/event DDL waits; row writes and commits go on.
//   2. The table list and two schema-only mariadb-dump runs (pre-data: databases, tables,
//      views, routines; post-data: triggers, events) under that block, so the
//      definitions are exactly those at the snapshot.
//   3. BACKUP STAGE BLOCK_COMMIT: commits (and account DDL) wait. The accounts are read,
//      every worker runs START TRANSACTION WITH CONSISTENT SNAPSHOT, and all of them must
//      report the same binlog_snapshot_file/position as SHOW MASTER STATUS.
//   4. BACKUP STAGE END: the source is back to normal; only the workers' read views stay.
// A table changed by DDL after the snapshot makes its part fail (ERROR 1412), never a
// silently different copy.
//
// Thread-safety: ServePart may run concurrently for different parts (each takes its own
// worker connection); Expire may be called from any thread.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/accounts.h"
#include "agent/db_session.h"
#include "agent/key_range.h"
#include "agent/transfer_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

struct TransferSourceParams {
  DbSessionFactory* db = nullptr;
  // The check on every part's bytes, as agreed in BeginTransfer (the manifest says it).
  v1::PartChecksum part_checksum = v1::PART_CHECKSUM_SHA256;
  DbConnectParams connect;  // for the defaults file of the schema-only mariadb-dump runs
  std::string state_dir;
  std::string dump_command;
  AccountFilter accounts;
  uint32_t workers = 2;
  unsigned lock_wait_timeout_s = 10;  // BLOCK_DDL / BLOCK_COMMIT never wait longer
  size_t chunk_bytes = 1 << 20;
  size_t max_schema_bytes = 64 << 20;  // schema SQL is held in memory
  // The delta method: the same snapshot and parts, plus each table's SHOW CREATE TABLE
  // and the digest of the views and routines (read under BLOCK_DDL), and the source
  // answers DigestChunks and FetchPart by key ranges (delta_source.cc).
  bool delta = false;
  // delta: the row encoding under each DigestChunks digest, as agreed in BeginTransfer.
  v1::RowEncoding row_encoding = v1::ROW_ENCODING_FIXED_LENGTH;
};

// Why the logical method cannot copy this source exactly; UNIMPLEMENTED so that a caller
// with method "auto" falls back to the dump method (old agents answer the same).
absl::Status Unsupported(absl::string_view why);

// The table parts of `schemas`: every base table with its stored columns (generated
// ones left to the server), largest first. The delta import reads the target's own too.
absl::StatusOr<std::vector<v1::TransferPart>> ListTableParts(
    DbSession& session, const std::vector<std::string>& schemas);

class SourceTransfer : public TransferSession {
 public:
  static absl::StatusOr<std::unique_ptr<SourceTransfer>> Begin(const TransferSourceParams& params,
                                                               std::string session_id);
  ~SourceTransfer() override;

  const v1::BeginTransferReply& manifest() const override { return manifest_; }

  // Streams one part; `send` returns false when the peer is gone. Checks `cancelled`
  // between chunks.
  absl::Status ServePart(uint32_t part_id, const std::function<bool(const v1::DumpChunk&)>& send,
                         const std::function<bool()>& cancelled) override;

  // delta (delta_source.cc): the rows of table part `part_id` in `ranges`, in key order,
  // framed like any table part; and the digest of each range (row_digest.h).
  absl::Status ServeRanges(uint32_t part_id, const std::vector<v1::KeyRange>& ranges,
                           const std::function<bool(const v1::DumpChunk&)>& send,
                           const std::function<bool()>& cancelled);
  absl::StatusOr<v1::DigestChunksReply> DigestChunks(uint32_t part_id,
                                                     const std::vector<v1::KeyRange>& ranges,
                                                     const std::function<bool()>& cancelled);

 private:
  SourceTransfer() = default;
  absl::StatusOr<std::unique_ptr<DbSession>> TakeWorker();
  void ReturnWorker(std::unique_ptr<DbSession> worker);
  absl::Status ServeText(const std::string& text,
                         const std::function<bool(const v1::DumpChunk&)>& send,
                         const std::function<bool()>& cancelled);
  // Streams the rows `select_sql` returns (the part's columns) as the part's data.
  absl::Status ServeTable(const v1::TransferPart& part, const std::string& select_sql,
                          const std::function<bool(const v1::DumpChunk&)>& send,
                          const std::function<bool()>& cancelled);
  // The delta table part `part_id`, checked; counts as an active part until `done`.
  absl::StatusOr<const v1::TransferPart*> DeltaTablePart(uint32_t part_id);
  // `part`'s key, read from information_schema once per session: a delta compare asks
  // for a part's ranges hundreds of times (two information_schema queries each, about
  // 0.6 ms of the source's server per call here).
  absl::StatusOr<TableKey> DeltaKey(DbSession& session, const v1::TransferPart& part);
  void PartStarted();
  void PartDone();

  TransferSourceParams params_;
  v1::BeginTransferReply manifest_;
  std::string schema_sql_;
  std::string post_sql_;
  std::string accounts_sql_;

  std::vector<std::unique_ptr<DbSession>> idle_workers_ ABSL_GUARDED_BY(mu_);
  absl::Mutex keys_mu_;
  std::map<uint32_t, TableKey> delta_keys_ ABSL_GUARDED_BY(keys_mu_);
};

}  // namespace mmresync::agent
