#include "agent/physical_import.h"

#include "common/tool_argv.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/backup_binlog_info.h"
#include "agent/node_facts.h"
#include "agent/part_reader.h"
#include "agent/physical_source.h"
#include "agent/physical_swap.h"
#include "agent/replication_control.h"
#include "agent/schema_reset.h"
#include "agent/stream_canceller.h"
#include "common/fault_point.h"
#include "common/files.h"
#include "common/log.h"
#include "common/physical_layout.h"
#include "common/status_macros.h"
#include "common/subprocess.h"

namespace mmresync::agent {
namespace {

namespace fs = std::filesystem;

// Room the target needs beside its datadir, over the copy's own size: mariadb-backup
// --prepare writes a new redo log, and the server must keep some space afterwards.
constexpr uint64_t kSpareBytes = 256ull << 20;

absl::Status Refuse(absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("the physical method cannot re-seed this node: ", why));
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "10.11" of "10.11.19-MariaDB-0+deb12u1-log".
std::string MajorMinor(const std::string& version) {
  std::vector<std::string> parts = absl::StrSplit(version, absl::MaxSplits('.', 2));
  if (parts.size() < 2) return version;
  return absl::StrCat(parts[0], ".", parts[1]);
}

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) log::Warning("removing ", dir, ": ", ec.message());
}

// chown -h every entry of `dir` (and itself) to uid:gid; chmod `dir` to `mode`.
absl::Status MatchOwnership(const std::string& dir, uid_t uid, gid_t gid, mode_t mode) {
  std::error_code ec;
  if (::lchown(dir.c_str(), uid, gid) != 0) return ErrnoError(absl::StrCat("chown ", dir));
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (::lchown(it->path().c_str(), uid, gid) != 0) {
      return ErrnoError(absl::StrCat("chown ", it->path().string()));
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("walking ", dir, ": ", ec.message()));
  if (::chmod(dir.c_str(), mode & 07777) != 0) return ErrnoError(absl::StrCat("chmod ", dir));
  return absl::OkStatus();
}

// Runs `argv` to completion, polling `cancelled`; the error quotes its stderr.
absl::Status RunChild(const std::vector<std::string>& argv,
                      const std::function<bool()>& cancelled) {
  Subprocess child;
  RETURN_IF_ERROR(child.Start(argv, SubprocessOptions{}));
  while (true) {
    auto exited = child.WaitFor(absl::Milliseconds(500));
    if (exited.ok()) {
      if (*exited != 0) {
        return absl::InternalError(
            absl::StrCat(child.name(), " exited ", *exited, ": ", child.StderrTail()));
      }
      return absl::OkStatus();
    }
    if (!absl::IsDeadlineExceeded(exited.status())) return exited.status();
    if (cancelled()) {
      child.Kill(SIGKILL);
      (void)child.Wait();
      return absl::CancelledError(absl::StrCat(child.name(), " cancelled"));
    }
  }
}

v1::Progress Phase(const std::string& phase, uint64_t done, uint64_t total, std::string message) {
  v1::Progress p;
  p.set_phase(phase);
  p.set_method("physical");
  p.set_bytes_done(done);
  p.set_bytes_total(total);
  p.set_parts_total(1);
  p.set_message(std::move(message));
  return p;
}

struct TargetFacts {
  std::string version;
  std::string datadir;  // no trailing slash
  std::string relay_base;
  std::string binlog_base;
  std::string binlog_dir;
  std::string event_scheduler;
  std::string current_account;
};

absl::StatusOr<TargetFacts> ReadTargetFacts(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SELECT @@version AS version, @@datadir AS datadir, "
                                               "COALESCE(@@relay_log_basename, '') AS relay, "
                                               "COALESCE(@@log_bin_basename, '') AS binlog, "
                                               "@@event_scheduler AS events"));
  TargetFacts f;
  f.version = rs.GetOr(0, "version", "");
  f.datadir = StripSlash(rs.GetOr(0, "datadir", ""));
  f.relay_base = BaseName(rs.GetOr(0, "relay", ""));
  f.binlog_base = BaseName(rs.GetOr(0, "binlog", ""));
  f.binlog_dir = Parent(rs.GetOr(0, "binlog", ""));
  f.event_scheduler = rs.GetOr(0, "events", "OFF");
  ASSIGN_OR_RETURN(f.current_account, CurrentAccount(session));
  if (f.datadir.empty() || f.datadir == "/") {
    return absl::InternalError(absl::StrCat("unusable @@datadir \"", f.datadir, "\""));
  }
  return f;
}

}  // namespace

absl::Status CheckNoReplicationFilters(DbSession& session) {
  ASSIGN_OR_RETURN(std::vector<std::string> filters, ReplicationFilters(session));
  if (filters.empty()) return absl::OkStatus();
  return Refuse(absl::StrCat(
      "this node replicates with filters (", absl::StrJoin(filters, ", "),
      "): they keep schemas local to each node, and a physical copy replaces the whole "
      "datadir, those schemas included; use --method logical, which copies only what "
      "replication carries"));
}

namespace {

absl::Status PreChecks(const PhysicalImportParams& params, DbSession& session,
                       const v1::BeginTransferReply& manifest, const TargetFacts& f) {
  if (params.service == nullptr || params.service->kind() == "none") {
    return Refuse("[mariadb.service] control = none: the agent cannot stop and start mariadbd");
  }
  ASSIGN_OR_RETURN(MariadbServiceStatus svc, params.service->Status());
  if (!svc.running) {
    return Refuse(absl::StrCat("[mariadb.service] says mariadbd is not running (", svc.detail,
                               ") while the agent is connected to it: the service control "
                               "does not control this server"));
  }
  if (MajorMinor(manifest.server_version()) != MajorMinor(f.version)) {
    return Refuse(absl::StrCat("the source runs MariaDB ", manifest.server_version(),
                               ", this node ", f.version,
                               "; a physical copy needs the same major.minor"));
  }
  RETURN_IF_ERROR(CheckNoReplicationFilters(session));
  RETURN_IF_ERROR(CheckSelfContainedDatadir(session, f.datadir));
  struct stat dir, parent;
  if (::stat(f.datadir.c_str(), &dir) != 0) return ErrnoError(absl::StrCat("stat ", f.datadir));
  const std::string up = Parent(f.datadir);
  if (::stat(up.c_str(), &parent) != 0) return ErrnoError(absl::StrCat("stat ", up));
  if (dir.st_dev != parent.st_dev) {
    return Refuse(absl::StrCat("the datadir ", f.datadir,
                               " is a mount point; the copy must be renamed into place from "
                               "beside it on the same filesystem"));
  }
  ASSIGN_OR_RETURN(uint64_t free, FreeBytes(up));
  const uint64_t need = manifest.datadir_bytes() + manifest.datadir_bytes() / 10 + kSpareBytes;
  if (free < need) {
    return Refuse(absl::StrCat("not enough free disk beside the datadir for a second copy: ", up,
                               " has ", free >> 20, " MiB free, the copy needs ~", need >> 20,
                               " MiB"));
  }
  ASSIGN_OR_RETURN(std::string own, AccountDefinitionDigest(session, f.current_account));
  if (manifest.agent_account_sha256() != own) {
    return Refuse(absl::StrCat(
        "the agent's account ", f.current_account,
        manifest.agent_account_sha256().empty() ? " does not exist on the source"
                                                : " is defined differently on the source",
        "; the copy brings the source's accounts, so the agent could not log in afterwards. "
        "Give both nodes the same agent account and password, or use --method logical"));
  }
  struct stat st;
  if (::stat(PhysicalBackupDir(f.datadir, params.run_id).c_str(), &st) == 0) {
    return Refuse(absl::StrCat(PhysicalBackupDir(f.datadir, params.run_id),
                               " exists: this run already swapped the datadir once"));
  }
  return absl::OkStatus();
}

// Extracts the stream into `dir` through mbstream; the part's checks are PartReader's.
absl::StatusOr<v1::DumpTrailer> Extract(const PhysicalImportParams& params, TransferPeer& peer,
                                        const v1::BeginTransferReply& manifest,
                                        const std::string& dir, uint64_t* bytes,
                                        uint64_t* wire_bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<DumpStream> stream, peer.Fetch(manifest.parts(0).id()));
  StreamCanceller canceller(params.base.cancelled);
  StreamCanceller::Registration cancellable(canceller, stream.get());
  Subprocess mbstream;
  SubprocessOptions options;
  options.pipe_stdin = true;
  RETURN_IF_ERROR(
      mbstream.Start(ExtractArgv(params.mbstream_command, manifest.workers(), dir), options));
  const uint64_t total = manifest.parts(0).estimated_bytes();
  absl::Time last_report = absl::InfinitePast();
  PartReader reader(*stream, "backup stream", [&](size_t raw, size_t wire) {
    *bytes += raw;
    *wire_bytes += wire;
  });
  auto fail = [&](absl::Status s) {
    stream->Cancel();
    mbstream.Kill(SIGKILL);
    (void)mbstream.Wait();
    return s;
  };
  while (true) {
    if (params.base.cancelled()) return fail(absl::CancelledError("import cancelled"));
    auto data = reader.NextChunk();
    if (!data.ok()) return fail(data.status());
    if (data->empty()) break;
    if (absl::Status s = mbstream.WriteStdin(*data); !s.ok()) {
      return fail(Annotate(s, absl::StrCat("mbstream: ", mbstream.StderrTail())));
    }
    if (absl::Now() - last_report > absl::Milliseconds(250)) {
      v1::Progress p = Phase("stream", *bytes, total, "");
      p.set_wire_bytes(*wire_bytes);
      params.base.progress(std::move(p));
      last_report = absl::Now();
    }
  }
  mbstream.CloseStdin();
  ASSIGN_OR_RETURN(int exit_code, mbstream.Wait());
  if (exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("mbstream -x exited ", exit_code, ": ", mbstream.StderrTail()));
  }
  const v1::DumpTrailer& t = reader.trailer();
  if (!t.footer_seen() || t.exit_status() != 0) {
    return absl::DataLossError(
        absl::StrCat("the source's mariadb-backup did not complete (exit ", t.exit_status(), ")"));
  }
  return t;
}

absl::Status CleanCopy(const std::string& dir, const TargetFacts& f) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoError(absl::StrCat("opendir ", dir));
  std::vector<std::string> remove;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (IsReplicaStateFile(name, f.relay_base, f.binlog_base)) remove.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : remove) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (::unlink(path.c_str()) != 0) return ErrnoError(absl::StrCat("removing ", path));
  }
  return absl::OkStatus();
}

// This node's own binary log stays its own, as with the other methods (their import
// runs with sql_log_bin=0 and never touches the binlog): its files are hard-linked
// into the copy (the old datadir keeps them too), the index copied since the server
// appends to it. Only when the binlog lives in the datadir; elsewhere the swap leaves it
// alone anyway. Runs with mariadbd stopped, so the last file is closed.
absl::Status CarryOwnBinlog(const std::string& old_dir, const std::string& new_dir,
                            const TargetFacts& f) {
  if (f.binlog_base.empty() || StripSlash(f.binlog_dir) != f.datadir) return absl::OkStatus();
  DIR* d = ::opendir(old_dir.c_str());
  if (d == nullptr) return ErrnoError(absl::StrCat("opendir ", old_dir));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (absl::StartsWith(name, absl::StrCat(f.binlog_base, "."))) names.push_back(name);
  }
  ::closedir(d);
  for (const std::string& name : names) {
    const std::string from = absl::StrCat(old_dir, "/", name);
    const std::string to = absl::StrCat(new_dir, "/", name);
    // Numbered files are closed for good once the server is down: linked. The index and
    // the .state file are rewritten in place by the server: copied.
    const std::string suffix = name.substr(f.binlog_base.size() + 1);
    const bool numbered = !suffix.empty() && std::all_of(suffix.begin(), suffix.end(), ::isdigit);
    if (!numbered) {
      ASSIGN_OR_RETURN(std::string index, ReadFileToString(from));
      RETURN_IF_ERROR(WriteFileAtomically(to, index, 0660));
    } else if (::link(from.c_str(), to.c_str()) != 0) {
      return ErrnoError(absl::StrCat("link ", from, " to ", to));
    }
    struct stat st;
    if (::stat(from.c_str(), &st) == 0) (void)::chown(to.c_str(), st.st_uid, st.st_gid);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsReplicaStateFile(const std::string& name, const std::string& relay_base,
                        const std::string& binlog_base) {
  if (name == "master.info" || name == "relay-log.info" || name == "multi-master.info") {
    return true;
  }
  // Named connections of multi-source replication: master-<name>.info, relay-log-<name>.info.
  if ((absl::StartsWith(name, "master-") || absl::StartsWith(name, "relay-log-")) &&
      absl::EndsWith(name, ".info")) {
    return true;
  }
  for (const std::string* base : {&relay_base, &binlog_base}) {
    if (base->empty()) continue;
    if (absl::StartsWith(name, absl::StrCat(*base, ".")) ||
        absl::StartsWith(name, absl::StrCat(*base, "-"))) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::string> CurrentAccount(DbSession& session) {
  ASSIGN_OR_RETURN(ResultSet rs, session.Query("SELECT CURRENT_USER() AS u"));
  std::string account = rs.GetOr(0, "u", "");
  if (account.find('@') == std::string::npos) {
    return absl::InternalError(absl::StrCat("CURRENT_USER() returned \"", account, "\""));
  }
  return account;
}

absl::StatusOr<v1::ImportResult> ImportPhysical(const PhysicalImportParams& params,
                                                TransferPeer& peer,
                                                const v1::BeginTransferReply& manifest) {
  if (manifest.method() != "physical" || manifest.parts_size() != 1 ||
      manifest.parts(0).kind() != v1::TransferPart::BACKUP_STREAM) {
    return absl::InvalidArgumentError(
        "the source's manifest is not a physical one (one BACKUP_STREAM part)");
  }
  const TargetImportParams& base = params.base;
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, base.db->Open());
  RETURN_IF_ERROR(params.check_fence(*session));
  ASSIGN_OR_RETURN(TargetFacts facts, ReadTargetFacts(*session));
  RETURN_IF_ERROR(PreChecks(params, *session, manifest, facts));
  v1::PhysicalSwapRecord record;
  record.set_run_id(params.run_id);
  record.set_datadir(facts.datadir);
  record.set_event_scheduler(facts.event_scheduler);
  record.set_current_account(facts.current_account);
  RETURN_IF_ERROR(SaveOwnAccounts(*session, params.agent_user, params.repl_user, record));
  struct stat old_dir;
  if (::stat(facts.datadir.c_str(), &old_dir) != 0) {
    return ErrnoError(absl::StrCat("stat ", facts.datadir));
  }

  // 2-4: the copy beside the datadir; the old server keeps running, fenced.
  const std::string new_dir = PhysicalNewDir(facts.datadir, params.run_id);
  const std::string backup_dir = PhysicalBackupDir(facts.datadir, params.run_id);
  RemoveTree(new_dir);  // a previous attempt of this run that failed before the swap
  if (::mkdir(new_dir.c_str(), 0700) != 0) return ErrnoError(absl::StrCat("mkdir ", new_dir));
  bool swapped = false;
  absl::Cleanup remove_new = [&] {
    if (swapped) return;
    RemoveTree(new_dir);
    if (absl::Status s = ClearSwapRecord(base.state_dir); !s.ok()) log::Warning(s.message());
  };
  uint64_t bytes = 0;
  uint64_t wire_bytes = 0;
  const absl::Time stream_start = absl::Now();
  ASSIGN_OR_RETURN(v1::DumpTrailer trailer,
                   Extract(params, peer, manifest, new_dir, &bytes, &wire_bytes));
  if (absl::Status s = peer.End(); !s.ok()) {
    log::Warning("ending the source's transfer session: ", s.message());
  }
  log::Info("physical copy extracted into ", new_dir, ": ", bytes, " bytes in ",
            absl::FormatDuration(absl::Now() - stream_start));

  base.progress(Phase("prepare", bytes, bytes, "mariadb-backup --prepare"));
  RETURN_IF_ERROR(RunChild(PrepareArgv(params.backup_command, new_dir), base.cancelled));
  ASSIGN_OR_RETURN(v1::BinlogCoordinates coordinates, ReadBackupBinlogInfo(new_dir));
  if (trailer.has_snapshot() && !trailer.snapshot().file().empty() &&
      (trailer.snapshot().file() != coordinates.file() ||
       trailer.snapshot().position() != coordinates.position())) {
    return absl::DataLossError(
        absl::StrCat("the backup's binlog info says ", coordinates.file(), ":",
                     coordinates.position(), ", the source's mariadb-backup logged ",
                     trailer.snapshot().file(), ":", trailer.snapshot().position()));
  }
  RETURN_IF_ERROR(CleanCopy(new_dir, facts));
  RETURN_IF_ERROR(MatchOwnership(new_dir, old_dir.st_uid, old_dir.st_gid, old_dir.st_mode));

  v1::ImportResult& result = *record.mutable_result();
  *result.mutable_source_snapshot() = coordinates;
  result.set_bytes(bytes);
  result.set_wire_bytes(wire_bytes);
  result.set_sha256(trailer.sha256());
  result.set_source_lock_ms(trailer.lock_ms());
  result.set_method("physical");
  result.set_workers(manifest.workers());
  result.set_backup_path(backup_dir);
  // Durable before the server goes down: an agent killed from here on finishes the swap,
  // or undoes it, when it starts again (physical_swap.h).
  RETURN_IF_ERROR(WriteSwapRecord(base.state_dir, record));

  // 5: the swap. The fence is checked once more right before the server goes down.
  RETURN_IF_ERROR(params.check_fence(*session));
  session.reset();
  base.progress(Phase("swap", bytes, bytes,
                      absl::StrCat("stopping mariadbd (", params.service->kind(), ")")));
  if (absl::Status s = params.service->Stop(); !s.ok()) {
    // A stop that failed half-way may have left it down: start it again on its own data.
    absl::Status restarted = params.service->Start();
    return Annotate(s, restarted.ok() ? "the old datadir is untouched and mariadbd runs on it"
                                      : absl::StrCat("the old datadir is untouched; starting it "
                                                     "again failed too: ",
                                                     restarted.message()));
  }
  if (absl::Status s = CarryOwnBinlog(facts.datadir, new_dir, facts); !s.ok()) {
    (void)params.service->Start();
    return Annotate(s,
                    "carrying this node's binary log into the copy (the old datadir is "
                    "untouched)");
  }
  if (::rename(facts.datadir.c_str(), backup_dir.c_str()) != 0) {
    absl::Status s = ErrnoError(absl::StrCat("rename ", facts.datadir, " to ", backup_dir));
    (void)params.service->Start();
    return s;
  }
  if (::rename(new_dir.c_str(), facts.datadir.c_str()) != 0) {
    absl::Status s = ErrnoError(absl::StrCat("rename ", new_dir, " to ", facts.datadir));
    if (::rename(backup_dir.c_str(), facts.datadir.c_str()) == 0) (void)params.service->Start();
    return s;
  }
  swapped = true;
  log::Info("datadir swapped: old one kept at ", backup_dir);

  // 6: back up on the copy, or back to the old datadir.
  auto roll_back = [&](const absl::Status& why) -> absl::Status {
    absl::Status back = PutOldDatadirBack(*params.service, record, why);
    if (absl::Status s = ClearSwapRecord(base.state_dir); !s.ok()) log::Warning(s.message());
    return back;
  };
  // The old datadir is aside and mariadbd is down: the physical method's "after the drop".
  MMRESYNC_FAULT_POINT_OR("after_swap", roll_back);
  base.progress(Phase("swap", bytes, bytes, "starting mariadbd on the copy"));
  SwapContext context;
  context.service = params.service;
  context.db = base.db;
  context.agent_user = params.agent_user;
  context.repl_user = params.repl_user;
  context.cancelled = base.cancelled;
  context.start_wait = params.start_wait;
  auto up = BringUpCopy(context, record);
  if (!up.ok()) return roll_back(up.status());
  record.set_settled(true);
  *record.mutable_result() = *up;
  if (absl::Status s = WriteSwapRecord(base.state_dir, record); !s.ok()) {
    // The copy runs and the import is done; only a repeat of this run's import (after a
    // coordinator died before journaling it) would now be refused as a second swap.
    log::Warning(s.message(), ": a repeated import of run ", params.run_id,
                 " will be refused instead of returning this result");
  }
  return *up;
}

}  // namespace mmresync::agent
