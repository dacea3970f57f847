#include "agent/delta_restore.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <regex>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/client_defaults.h"
#include "agent/delta_backup.h"
#include "agent/dump_process.h"
#include "agent/mariadb_session.h"
#include "agent/schema_reset.h"
#include "common/compression.h"
#include "common/files.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// The attempts' directories (<unix ms>), newest first.
absl::StatusOr<std::vector<std::string>> Attempts(const std::string& backup_dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(backup_dir));
  std::vector<std::pair<int64_t, std::string>> attempts;
  for (const std::string& name : names) {
    int64_t ms = 0;
    struct stat st;
    if (!absl::SimpleAtoi(name, &ms) ||
        ::stat(absl::StrCat(backup_dir, "/", name).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    attempts.emplace_back(ms, absl::StrCat(backup_dir, "/", name));
  }
  std::sort(attempts.rbegin(), attempts.rend());
  std::vector<std::string> out;
  for (auto& [ms, path] : attempts) out.push_back(std::move(path));
  return out;
}

// A private directory for the decompressed files, removed with its files on destruction.
class ScratchDir {
 public:
  static absl::StatusOr<ScratchDir> Create(const std::string& state_dir) {
    std::string path = absl::StrCat(state_dir, "/delta-restore.XXXXXX");
    if (::mkdtemp(path.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot create a directory under ", state_dir, ": ", strerror(errno)));
    }
    return ScratchDir(std::move(path));
  }
  ScratchDir(ScratchDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~ScratchDir() {
    if (path_.empty()) return;
    auto names = ListDirectory(path_);
    for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
      if (name != "." && name != "..") (void)::unlink(absl::StrCat(path_, "/", name).c_str());
    }
    (void)::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Decompresses every NNNN.{tsv,sql}.zst of `attempt` into `into` as NNNN.{tsv,sql}.
absl::Status Decompress(const std::string& attempt, const std::string& into) {
  static const std::regex kSaved("[0-9]+\\.(tsv|sql)\\.zst");
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(attempt));
  for (const std::string& name : names) {
    if (!std::regex_match(name, kSaved)) continue;
    ASSIGN_OR_RETURN(std::string packed, ReadFileToString(absl::StrCat(attempt, "/", name)));
    const std::string out = absl::StrCat(into, "/", name.substr(0, name.size() - 4));
    FILE* f = std::fopen(out.c_str(), "wb");
    if (f == nullptr) {
      return absl::InternalError(absl::StrCat("cannot write ", out, ": ", strerror(errno)));
    }
    absl::Cleanup close = [f] { std::fclose(f); };
    RETURN_IF_ERROR(Annotate(DecompressFrames(packed, kDeltaBackupFrameBytes,
                                              [&](absl::string_view raw) -> absl::Status {
                                                if (std::fwrite(raw.data(), 1, raw.size(), f) !=
                                                    raw.size()) {
                                                  return absl::InternalError(absl::StrCat(
                                                      "cannot write ", out, ": ", strerror(errno)));
                                                }
                                                return absl::OkStatus();
                                              }),
                             absl::StrCat(attempt, "/", name)));
  }
  return absl::OkStatus();
}

// restore.sql with each `source NNNN.sql` replaced by that file's text from `scratch`.
absl::StatusOr<std::string> InlinedScript(const std::string& script, const std::string& scratch) {
  static const std::regex kSource("source ([0-9]+\\.sql)");
  std::string out;
  for (absl::string_view line : absl::StrSplit(script, '\n')) {
    std::match_results<absl::string_view::const_iterator> m;
    if (std::regex_match(line.begin(), line.end(), m, kSource)) {
      ASSIGN_OR_RETURN(std::string sql, ReadFileToString(absl::StrCat(scratch, "/", m[1].str())));
      absl::StrAppend(&out, sql, "\n");
      continue;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

absl::Status RestoreAttempt(const std::string& state_dir, const std::string& client_command,
                            const DbConnectParams& connect, const std::string& attempt) {
  ASSIGN_OR_RETURN(std::string script, ReadFileToString(absl::StrCat(attempt, "/restore.sql")));
  if (absl::StrContains(script, "\n-- the target's triggers and events from ")) {
    MariadbSessionFactory factory(connect);
    ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, factory.Open());
    ASSIGN_OR_RETURN(int dropped, DropTriggersAndEvents(*session));
    log::Info("delta restore: dropped ", dropped, " trigger(s) and event(s) before ", attempt);
  }
  ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Create(state_dir));
  RETURN_IF_ERROR(Decompress(attempt, scratch.path()));
  ASSIGN_OR_RETURN(std::string sql, InlinedScript(script, scratch.path()));
  ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(state_dir, connect));
  ImportProcess import;
  absl::Status s = import.StartInDir(client_command, defaults.path(), scratch.path());
  if (s.ok()) s = import.Write(sql);
  if (!s.ok()) {
    import.Abort();
    return s;
  }
  return import.Finish();
}

}  // namespace

absl::Status RestoreDeltaBackup(const std::string& state_dir, const std::string& client_command,
                                const DbConnectParams& connect, const std::string& backup_dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> attempts, Attempts(backup_dir));
  if (attempts.empty()) {
    return absl::NotFoundError(absl::StrCat("delta backup ", backup_dir, " holds no attempt"));
  }
  for (const std::string& attempt : attempts) {
    RETURN_IF_ERROR(Annotate(RestoreAttempt(state_dir, client_command, connect, attempt),
                             absl::StrCat("restore of ", attempt)));
    log::Info("delta restore: put back ", attempt);
  }
  return absl::OkStatus();
}

}  // namespace mmresync::agent
