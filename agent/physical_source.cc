#include "agent/physical_source.h"

#include <signal.h>

#include <filesystem>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/client_defaults.h"
#include "agent/part_writer.h"
#include "common/files.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/subprocess.h"

namespace mmresync::agent {
namespace {

absl::Status Refuse(absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("the physical method cannot copy this source: ", why));
}

std::string WithSlash(std::string dir) {
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir;
}

// InnoDB files the copy must find in the datadir: mariadb-backup streams them from
// wherever they are, but the target moves one directory into place.
}  // namespace

absl::Status CheckSelfContainedDatadir(DbSession& session, const std::string& datadir) {
  ASSIGN_OR_RETURN(ResultSet rs,
                   session.Query("SELECT COALESCE(@@innodb_data_home_dir, '') AS data_home, "
                                 "@@innodb_log_group_home_dir AS log_home, "
                                 "@@innodb_undo_directory AS undo_dir"));
  for (const char* column : {"data_home", "log_home", "undo_dir"}) {
    std::string dir = rs.GetOr(0, column, "");
    if (dir.empty() || dir == "./" || dir == "." || WithSlash(dir) == WithSlash(datadir)) continue;
    return Refuse(absl::StrCat("InnoDB files live outside the datadir (", column, " = ", dir,
                               "); only a self-contained datadir can be swapped"));
  }
  return absl::OkStatus();
}

namespace {

// Bytes of the datadir that mariadb-backup copies: everything but binary and relay logs;
// `redo` of them are InnoDB's redo log (ib_logfile*), which the stream carries only the
// part of that is written while it runs, but which --prepare writes in full.
struct DatadirSize {
  uint64_t total = 0;
  uint64_t redo = 0;
};

DatadirSize MeasureDatadir(const std::string& datadir,
                           const std::vector<std::string>& skip_prefixes) {
  namespace fs = std::filesystem;
  DatadirSize size;
  const std::string redo_prefix = WithSlash(datadir) + "ib_logfile";
  std::error_code ec;
  for (fs::recursive_directory_iterator
           it(datadir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string path = it->path().string();
    bool skip = false;
    for (const auto& p : skip_prefixes) skip = skip || (!p.empty() && absl::StartsWith(path, p));
    if (skip) continue;
    const uint64_t bytes = it->file_size(ec);
    size.total += bytes;
    if (absl::StartsWith(path, redo_prefix)) size.redo += bytes;
  }
  return size;
}

}  // namespace

absl::StatusOr<std::string> AccountDefinitionDigest(DbSession& session,
                                                    const std::string& account) {
  const size_t at = account.rfind('@');
  if (at == std::string::npos || at == 0 || account.size() > 200) {
    return absl::InvalidArgumentError("invalid agent_account: must be user@host");
  }
  auto rs =
      session.Query(absl::StrCat("SHOW CREATE USER ", QuoteString(session, account.substr(0, at)),
                                 "@", QuoteString(session, account.substr(at + 1))));
  if (!rs.ok()) {
    if (absl::StrContains(rs.status().message(), "1396")) return std::string();
    return rs.status();
  }
  if (rs->rows.empty() || rs->rows[0].empty() || !rs->rows[0][0].has_value()) {
    return std::string();
  }
  Sha256 sha;
  sha.Update(*rs->rows[0][0]);
  return sha.HexDigest();
}

absl::StatusOr<std::vector<std::string>> EncryptionInUse(DbSession& session) {
  std::vector<std::string> found;
  ASSIGN_OR_RETURN(ResultSet plugins,
                   session.Query("SELECT PLUGIN_NAME FROM information_schema.PLUGINS WHERE "
                                 "PLUGIN_TYPE = 'ENCRYPTION' AND PLUGIN_STATUS = 'ACTIVE' "
                                 "ORDER BY 1"));
  for (size_t i = 0; i < plugins.rows.size(); ++i) {
    found.push_back(absl::StrCat("plugin ", plugins.GetOr(i, "PLUGIN_NAME", "?")));
  }
  ASSIGN_OR_RETURN(ResultSet vars,
                   session.Query("SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                                 "('innodb_encrypt_tables', 'innodb_encrypt_log', "
                                 "'aria_encrypt_tables', 'encrypt_binlog', 'encrypt_tmp_files', "
                                 "'encrypt_tmp_disk_tables')"));
  for (size_t i = 0; i < vars.rows.size(); ++i) {
    std::string value = vars.GetOr(i, "Value", "OFF");
    if (value == "OFF" || value == "0") continue;
    found.push_back(absl::StrCat(vars.GetOr(i, "Variable_name", "?"), "=", value));
  }
  return found;
}

void BackupLogWatcher::Feed(absl::string_view piece, absl::Time now) {
  partial_.append(piece.data(), piece.size());
  size_t start = 0;
  for (size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
    Line(absl::string_view(partial_).substr(start, nl - start), now);
    start = nl + 1;
  }
  partial_.erase(0, start);
  // A log line is short; anything longer without a newline is not a line we look for.
  if (partial_.size() > 64 * 1024) partial_.clear();
}

void BackupLogWatcher::Line(absl::string_view line, absl::Time now) {
  if (absl::StrContains(line, "Starting BACKUP STAGE BLOCK_COMMIT")) {
    if (!block_start_) block_start_ = now;
  } else if (absl::StrContains(line, "All tables unlocked") ||
             absl::StrContains(line, "Executing BACKUP STAGE END")) {
    if (block_start_ && !block_end_) block_end_ = now;
  } else if (absl::StrContains(line, "completed OK!")) {
    completed_ok_ = true;
  }
  // MySQL binlog position: filename 'mysql-bin.000001', position '1009', GTID of the
  // last change '0-9-4'
  constexpr absl::string_view kPos = "MySQL binlog position: filename '";
  size_t at = line.find(kPos);
  if (at == absl::string_view::npos) return;
  absl::string_view rest = line.substr(at + kPos.size());
  std::vector<absl::string_view> quoted = absl::StrSplit(rest, '\'');
  // file ', position ' pos ', GTID of the last change ' gtid '
  if (quoted.size() < 3) return;
  v1::BinlogCoordinates c;
  c.set_file(std::string(quoted[0]));
  uint64_t pos = 0;
  if (!absl::SimpleAtoi(quoted[2], &pos)) return;
  c.set_position(pos);
  if (quoted.size() >= 5) c.set_gtid(std::string(quoted[4]));
  coordinates_ = c;
}

std::optional<absl::Duration> BackupLogWatcher::commit_block() const {
  if (!block_start_ || !block_end_) return std::nullopt;
  return *block_end_ - *block_start_;
}

absl::StatusOr<std::unique_ptr<PhysicalSourceTransfer>> PhysicalSourceTransfer::Begin(
    const PhysicalSourceParams& params, std::string session_id) {
  std::unique_ptr<PhysicalSourceTransfer> t(new PhysicalSourceTransfer);
  t->params_ = params;
  t->manifest_.set_session_id(std::move(session_id));
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, params.db->Open());
  ASSIGN_OR_RETURN(ResultSet rs,
                   session->Query("SELECT @@version AS version, @@datadir AS datadir, "
                                  "COALESCE(@@log_bin_basename, '') AS binlog, "
                                  "COALESCE(@@relay_log_basename, '') AS relay"));
  const std::string version = rs.GetOr(0, "version", "");
  if (!absl::StrContains(version, "MariaDB")) {
    return Refuse(absl::StrCat("server version \"", version, "\" is not MariaDB"));
  }
  t->datadir_ = rs.GetOr(0, "datadir", "");
  if (t->datadir_.empty()) return absl::InternalError("@@datadir is empty");
  ASSIGN_OR_RETURN(std::vector<std::string> encryption, EncryptionInUse(*session));
  if (!encryption.empty()) {
    return Refuse(absl::StrCat("encryption is configured (", absl::StrJoin(encryption, ", "),
                               "): the keys are not part of the copy; use --method logical"));
  }
  RETURN_IF_ERROR(CheckSelfContainedDatadir(*session, t->datadir_));
  if (!params.agent_account.empty()) {
    ASSIGN_OR_RETURN(std::string digest, AccountDefinitionDigest(*session, params.agent_account));
    t->manifest_.set_agent_account_sha256(digest);
  }
  // The disk the copy needs includes the redo log --prepare creates; the stream carries
  // only the redo written while it ran, so progress estimates without it.
  const DatadirSize size =
      MeasureDatadir(t->datadir_, {rs.GetOr(0, "binlog", ""), rs.GetOr(0, "relay", "")});
  const uint64_t bytes = size.total;

  t->manifest_.set_method("physical");
  t->manifest_.set_part_checksum(params.part_checksum);
  t->manifest_.set_server_version(version);
  t->manifest_.set_datadir_bytes(bytes);
  t->manifest_.set_workers(std::max<uint32_t>(1, params.parallel));
  v1::TransferPart* part = t->manifest_.add_parts();
  part->set_id(0);
  part->set_kind(v1::TransferPart::BACKUP_STREAM);
  part->set_estimated_bytes(bytes - size.redo);
  absl::MutexLock lock(&t->mu_);
  t->last_activity_ = absl::Now();
  return t;
}

PhysicalSourceTransfer::~PhysicalSourceTransfer() = default;

absl::Status PhysicalSourceTransfer::ServePart(
    uint32_t part_id, const std::function<bool(const v1::DumpChunk&)>& send,
    const std::function<bool()>& cancelled) {
  if (part_id != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid part_id ", part_id, ": a physical session has one part"));
  }
  {
    absl::MutexLock lock(&mu_);
    if (expired_) {
      return absl::CancelledError(absl::StrCat("transfer session ended: ", expired_why_));
    }
    // A second backup would be another snapshot: the target starts a new session instead.
    if (served_) return absl::FailedPreconditionError("the backup stream was already served");
    served_ = true;
    ++active_parts_;
    last_activity_ = absl::Now();
  }
  absl::Cleanup done = [this] {
    absl::MutexLock lock(&mu_);
    --active_parts_;
    last_activity_ = absl::Now();
  };
  return RunBackup(send, cancelled);
}

absl::Status PhysicalSourceTransfer::RunBackup(
    const std::function<bool(const v1::DumpChunk&)>& send, const std::function<bool()>& cancelled) {
  const std::string target_dir =
      absl::StrCat(params_.state_dir, "/physical-", manifest_.session_id());
  RETURN_IF_ERROR(MakeDirs(target_dir));
  absl::Cleanup remove_dir = [&target_dir] {
    std::error_code ec;
    std::filesystem::remove_all(target_dir, ec);
  };
  ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(params_.state_dir, params_.connect));

  absl::Mutex log_mu;
  BackupLogWatcher watcher;
  SubprocessOptions options;
  options.pipe_stdout = true;
  options.on_stderr = [&](absl::string_view piece) {
    absl::MutexLock lock(&log_mu);
    watcher.Feed(piece, absl::Now());
  };
  Subprocess child;
  const std::vector<std::string> argv =
      BackupArgv(params_.backup_command, defaults.path(), params_.parallel, target_dir, datadir_);
  log::Info("physical session ", manifest_.session_id(), ": ", absl::StrJoin(argv, " "));
  RETURN_IF_ERROR(child.Start(argv, options));

  PartWriter out(send, params_.part_checksum);
  // mariadb-backup's output is read straight into the chunk that is sent (kept at full
  // size; `filled` of it is data): each copy saved is a pass over the whole datadir on
  // a host whose cores also run mariadb-backup.
  std::string buf(params_.chunk_bytes, '\0');
  size_t filled = 0;
  auto flush = [&]() -> absl::Status {
    buf.resize(filled);
    absl::Status s = out.Write(buf);
    buf.resize(params_.chunk_bytes);
    filled = 0;
    return s;
  };
  absl::Time last_output = absl::Now();
  auto fail = [&](absl::Status s) {
    // SIGKILL: its server connections close, so mariadb-backup's BACKUP STAGE locks go.
    child.Kill(SIGKILL);
    (void)child.Wait();
    return s;
  };
  while (true) {
    if (cancelled() || expired_) {
      std::string why;
      {
        absl::MutexLock lock(&mu_);
        why = expired_why_.empty() ? "the target cancelled the stream" : expired_why_;
      }
      return fail(absl::CancelledError(absl::StrCat("backup stream stopped: ", why)));
    }
    auto data = child.ReadStdoutInto(buf.data() + filled, buf.size() - filled, absl::Seconds(1));
    if (!data.ok() && absl::IsDeadlineExceeded(data.status())) {
      if (absl::Now() - last_output > params_.quiet_limit) {
        return fail(absl::DeadlineExceededError(
            absl::StrCat("mariadb-backup wrote nothing for ",
                         absl::FormatDuration(params_.quiet_limit), ": ", child.StderrTail())));
      }
      Touch();  // alive, and not blocked on the peer
      continue;
    }
    if (!data.ok()) return fail(Annotate(data.status(), "reading mariadb-backup's output"));
    if (*data == 0) break;
    last_output = absl::Now();
    filled += *data;
    if (filled == buf.size()) {
      if (absl::Status s = flush(); !s.ok()) return fail(s);
      Touch();
    }
  }
  if (filled > 0) {
    if (absl::Status s = flush(); !s.ok()) return fail(s);
  }
  ASSIGN_OR_RETURN(int exit_code, child.Wait());
  v1::DumpTrailer trailer;
  {
    absl::MutexLock lock(&log_mu);
    if (exit_code != 0 || !watcher.completed_ok()) {
      return absl::InternalError(absl::StrCat(
          "mariadb-backup exited ", exit_code,
          watcher.completed_ok() ? "" : " without \"completed OK!\"", ": ", child.StderrTail()));
    }
    trailer.set_footer_seen(true);
    trailer.set_exit_status(exit_code);
    if (auto block = watcher.commit_block()) {
      trailer.set_lock_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(*block)));
    }
    if (watcher.coordinates()) *trailer.mutable_snapshot() = *watcher.coordinates();
  }
  log::Info("physical session ", manifest_.session_id(), ": ", out.bytes(),
            " bytes streamed, commits blocked ", trailer.lock_ms(), " ms, snapshot ",
            trailer.snapshot().file(), ":", trailer.snapshot().position());
  return out.Finish(std::move(trailer));
}

}  // namespace mmresync::agent
