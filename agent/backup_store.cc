#include "agent/backup_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/client_defaults.h"
#include "agent/delta_restore.h"
#include "agent/dump_process.h"
#include "agent/local_backup.h"
#include "agent/parked_backup.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/validate.h"

namespace mmresync::agent {
namespace {

constexpr char kOldDatadirInfix[] = ".mmresync-";

int64_t MtimeMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// A backup that is a directory (a physical re-seed's old datadir, a delta repair's saved
// rows): listed as not restorable (the caller says otherwise), never pruned through the
// agent. Ignored unless `run` is a valid run id and `path` a directory.
void AddDirectoryBackup(const std::string& path, absl::string_view run, const char* kind,
                        std::vector<v1::BackupInfo>* out) {
  struct stat st;
  if (!ValidateRunId(run).ok() || ::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  v1::BackupInfo info;
  info.set_run_id(std::string(run));
  info.set_kind(kind);
  info.set_created_unix_ms(MtimeMs(st));
  info.set_path(path);
  info.set_restorable(false);
  out->push_back(std::move(info));
}

void AddOldDatadirs(DbSession& session, std::vector<v1::BackupInfo>* out) {
  auto datadir = session.Query("SELECT @@datadir");
  if (!datadir.ok() || datadir->empty() || !datadir->rows[0][0].has_value()) return;
  std::string dir = *datadir->rows[0][0];
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.rfind('/');
  if (slash == std::string::npos) return;
  const std::string parent = slash == 0 ? "/" : dir.substr(0, slash);
  const std::string prefix = absl::StrCat(dir.substr(slash + 1), kOldDatadirInfix);
  auto names = ListDirectory(parent);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    absl::string_view run = name;
    // "<datadir>.mmresync-new-<run>" is a copy being built, not a backup.
    if (!absl::ConsumePrefix(&run, prefix) || absl::StartsWith(run, "new-")) continue;
    AddDirectoryBackup(absl::StrCat(parent, "/", name), run, "physical", out);
  }
}

// A delta repair's backup (delta_backup.h): <backups>/<run>.delta/<attempt ms>/, the rows
// and definitions it replaced with a restore.sql each (delta_restore.h restores it).
constexpr char kDeltaSuffix[] = ".delta";

// The bytes of the regular files in `dir` and one level below (a delta backup's
// attempts).
uint64_t TreeBytes(const std::string& dir, int depth) {
  uint64_t total = 0;
  auto names = ListDirectory(dir);
  if (!names.ok()) return 0;
  for (const std::string& name : *names) {
    if (name == "." || name == "..") continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    if (S_ISDIR(st.st_mode) && depth > 0) total += TreeBytes(path, depth - 1);
  }
  return total;
}

// Up to `max` bytes from `offset` (negative: from the end).
std::string ReadPart(const std::string& path, long offset, size_t max) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  if (offset < 0) {
    std::fseek(f, 0, SEEK_END);
    long size = std::ftell(f);
    std::fseek(f, std::max(0L, size + offset), SEEK_SET);
  }
  out.resize(max);
  out.resize(std::fread(out.data(), 1, max, f));
  std::fclose(f);
  return out;
}

}  // namespace

std::vector<std::string> ParkedSchemasOf(const std::string& script) {
  static const std::regex kParked("^-- `[^`\\n]*` is parked in `(mmr_park_[0-9a-f]+_[0-9]+)`$",
                                  std::regex::multiline);
  std::vector<std::string> schemas;
  for (auto it = std::sregex_iterator(script.begin(), script.end(), kParked);
       it != std::sregex_iterator(); ++it) {
    schemas.push_back((*it)[1].str());
  }
  return schemas;
}

absl::StatusOr<std::vector<v1::BackupInfo>> ListBackups(const std::string& state_dir,
                                                        DbSession* session) {
  std::vector<v1::BackupInfo> out;
  const std::string dir = absl::StrCat(state_dir, "/backups");
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir));
  std::vector<std::string> present;
  if (session != nullptr) {
    auto rs =
        session->Query(absl::StrCat("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                                    "WHERE SCHEMA_NAME LIKE '",
                                    kParkedSchemaPrefix, "%'"));
    if (rs.ok()) {
      for (const auto& row : rs->rows) {
        if (row[0].has_value()) present.push_back(*row[0]);
      }
    }
  }
  for (const std::string& name : names) {
    absl::string_view run = name;
    if (absl::ConsumeSuffix(&run, kDeltaSuffix)) {
      const std::string path = absl::StrCat(dir, "/", name);
      const size_t listed = out.size();
      AddDirectoryBackup(path, run, "delta", &out);
      if (out.size() > listed) {
        out.back().set_bytes(TreeBytes(path, 1));
        out.back().set_restorable(true);
      }
      continue;
    }
    if (!absl::ConsumeSuffix(&run, ".sql") || !ValidateRunId(run).ok()) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    v1::BackupInfo info;
    info.set_run_id(std::string(run));
    info.set_bytes(static_cast<uint64_t>(st.st_size));
    info.set_created_unix_ms(MtimeMs(st));
    info.set_path(path);
    info.set_restorable(true);
    info.set_kind("dump");
    // A park script is small; a dump may be huge and names no parked schema.
    auto head = absl::StrContains(ReadPart(path, 0, 512), "Parked:")
                    ? ReadFileToString(path)
                    : absl::StatusOr<std::string>(absl::NotFoundError("not a park script"));
    if (head.ok()) {
      info.set_kind("park");
      for (const std::string& s : ParkedSchemasOf(*head)) {
        if (std::find(present.begin(), present.end(), s) != present.end()) {
          info.add_parked_schemas(s);
        }
      }
      // Restored already (or pruned by hand): nothing left to move back.
      info.set_restorable(info.parked_schemas_size() > 0 || ParkedSchemasOf(*head).empty());
    }
    out.push_back(std::move(info));
  }
  if (session != nullptr) AddOldDatadirs(*session, &out);
  std::sort(out.begin(), out.end(), [](const v1::BackupInfo& a, const v1::BackupInfo& b) {
    return a.created_unix_ms() < b.created_unix_ms();
  });
  return out;
}

absl::Status RestoreBackup(const std::string& state_dir, const std::string& client_command,
                           const DbConnectParams& connect, const std::string& run_id) {
  RETURN_IF_ERROR(ValidateRunId(run_id));
  const std::string path = BackupPath(state_dir, run_id);
  const std::string delta = absl::StrCat(state_dir, "/backups/", run_id, kDeltaSuffix);
  if (::access(path.c_str(), R_OK) != 0 && ::access(delta.c_str(), F_OK) == 0) {
    return RestoreDeltaBackup(state_dir, client_command, connect, delta);
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("no backup of run ", run_id, " on this node (", path,
                                            "): see mmresync backups list"));
  }
  // Both kinds end with this line, written last (local_backup.cc, parked_backup.cc).
  if (!absl::StrContains(ReadPart(path, -256, 256), "-- mmresync backup complete")) {
    return absl::DataLossError(absl::StrCat("backup ", path, " is incomplete: not restored"));
  }
  FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return absl::InternalError(absl::StrCat("cannot open ", path));
  ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(state_dir, connect));
  ImportProcess import;  // --init-command and a first statement: sql_log_bin=0
  absl::Status s = import.Start(client_command, defaults.path());
  std::string chunk(1 << 20, '\0');
  while (s.ok()) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), in);
    if (n == 0) break;
    s = import.Write(absl::string_view(chunk.data(), n));
  }
  std::fclose(in);
  if (!s.ok()) {
    import.Abort();
    return Annotate(s, absl::StrCat("restore of ", path));
  }
  return Annotate(import.Finish(), absl::StrCat("restore of ", path));
}

absl::StatusOr<std::vector<std::string>> PruneBackups(const std::string& state_dir,
                                                      DbSession& session, size_t keep) {
  ASSIGN_OR_RETURN(std::vector<v1::BackupInfo> all, ListBackups(state_dir, &session));
  std::vector<const v1::BackupInfo*> scripts;
  for (const v1::BackupInfo& b : all) {
    if (b.kind() == "park" || b.kind() == "dump") scripts.push_back(&b);
  }
  std::vector<std::string> removed;
  if (scripts.size() <= keep) return removed;
  RETURN_IF_ERROR(session.Execute("SET SESSION sql_log_bin = 0"));
  for (size_t i = 0; i + keep < scripts.size(); ++i) {
    const v1::BackupInfo& b = *scripts[i];
    for (const std::string& schema : b.parked_schemas()) {
      RETURN_IF_ERROR(Annotate(
          session.Execute(absl::StrCat("DROP DATABASE IF EXISTS ", QuoteIdentifier(schema))),
          absl::StrCat("prune ", b.run_id())));
    }
    if (::unlink(b.path().c_str()) != 0 && errno != ENOENT) {
      return absl::InternalError(
          absl::StrCat("prune ", b.run_id(), ": cannot remove ", b.path(), ": ", strerror(errno)));
    }
    removed.push_back(b.run_id());
  }
  return removed;
}

}  // namespace mmresync::agent
