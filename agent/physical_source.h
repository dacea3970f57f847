#pragma once

// The source side of the physical method: a transfer session with one part,
// BACKUP_STREAM, whose bytes are the stdout of
//   mariadb-backup --defaults-file=<0600 file> --backup --stream=mbstream --parallel=N
//                  --target-dir=<state_dir>/physical-<session> --datadir=<@@datadir>
// chunked with offsets and a running SHA-256 like every other part. mariadb-backup
// takes its own BACKUP STAGE locks; its log (stderr) is watched line by line so the
// trailer can say how long commits waited (BLOCK_COMMIT until END) and at which binlog
// coordinates the copy is consistent.
//
// Begin refuses (nothing runs on the source) what the physical copy cannot carry:
// encryption (the keys are not part of the copy), InnoDB files outside the datadir.
// The backup runs once, when the target fetches part 0; a cut stream kills it, which
// ends its server session and so its locks.
//
// Thread-safety: as TransferSession.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/db_session.h"
#include "agent/transfer_session.h"
#include "common/tool_argv.h"

namespace mmresync::agent {

struct PhysicalSourceParams {
  DbSessionFactory* db = nullptr;
  // The check on every part's bytes, as agreed in BeginTransfer (the manifest says it).
  v1::PartChecksum part_checksum = v1::PART_CHECKSUM_SHA256;
  DbConnectParams connect;  // for the defaults file (never argv)
  std::string state_dir;
  std::string backup_command = kMariadbBackupCommand;
  uint32_t parallel = 2;
  std::string agent_account;  // the target agent's "user@host", for the digest
  size_t chunk_bytes = 1 << 20;
  // mariadb-backup silent on stdout for this long (a stage waiting for a lock that never
  // comes) ends the part.
  absl::Duration quiet_limit = absl::Minutes(10);
};

// Encryption the server uses ("plugin file_key_management", "innodb_encrypt_tables=ON",
// ...); empty when none. A physical copy of an encrypted server is useless without its
// keys, so the physical method refuses when this is not empty.
absl::StatusOr<std::vector<std::string>> EncryptionInUse(DbSession& session);

// FAILED_PRECONDITION when InnoDB keeps files outside `datadir` (innodb_data_home_dir,
// innodb_log_group_home_dir, innodb_undo_directory): one directory is copied and swapped.
absl::Status CheckSelfContainedDatadir(DbSession& session, const std::string& datadir);

// Hex SHA-256 of SHOW CREATE USER for "user@host" (password hash included, so equal
// digests mean the same credentials work); "" when no such account exists.
absl::StatusOr<std::string> AccountDefinitionDigest(DbSession& session, const std::string& account);

// Reads mariadb-backup's log as it arrives. Feed() may get any pieces of it; times are
// those of arrival (the log's own timestamps have one-second resolution).
class BackupLogWatcher {
 public:
  void Feed(absl::string_view piece, absl::Time now);
  // BLOCK_COMMIT held: from "Starting BACKUP STAGE BLOCK_COMMIT" to "All tables
  // unlocked" (or "Executing BACKUP STAGE END"); nullopt until both were seen.
  std::optional<absl::Duration> commit_block() const;
  // From "MySQL binlog position: filename 'F', position 'P', GTID of the last change 'G'".
  const std::optional<v1::BinlogCoordinates>& coordinates() const { return coordinates_; }
  bool completed_ok() const { return completed_ok_; }

 private:
  void Line(absl::string_view line, absl::Time now);
  std::string partial_;
  std::optional<absl::Time> block_start_;
  std::optional<absl::Time> block_end_;
  std::optional<v1::BinlogCoordinates> coordinates_;
  bool completed_ok_ = false;
};

class PhysicalSourceTransfer : public TransferSession {
 public:
  static absl::StatusOr<std::unique_ptr<PhysicalSourceTransfer>> Begin(
      const PhysicalSourceParams& params, std::string session_id);
  ~PhysicalSourceTransfer() override;

  const v1::BeginTransferReply& manifest() const override { return manifest_; }
  absl::Status ServePart(uint32_t part_id, const std::function<bool(const v1::DumpChunk&)>& send,
                         const std::function<bool()>& cancelled) override;

 private:
  PhysicalSourceTransfer() = default;
  absl::Status RunBackup(const std::function<bool(const v1::DumpChunk&)>& send,
                         const std::function<bool()>& cancelled);

  PhysicalSourceParams params_;
  v1::BeginTransferReply manifest_;
  std::string datadir_;

  bool served_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mmresync::agent
