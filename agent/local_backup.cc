#include "agent/local_backup.h"
#include "absl/strings/string_view.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/client_defaults.h"
#include "agent/dump_process.h"
#include "agent/node_facts.h"
#include "common/files.h"
#include "common/sha256.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

absl::Status WriteAllFd(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return absl::ResourceExhaustedError(absl::StrCat("write ", path, ": ", std::strerror(errno)));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

std::string BackupPath(const std::string& state_dir, const std::string& run_id) {
  return absl::StrCat(state_dir, "/backups/", run_id, ".sql");
}

absl::StatusOr<v1::BackupReply> BackupUserData(const BackupParams& params) {
  std::string path = BackupPath(params.state_dir, params.run_id);
  RETURN_IF_ERROR(MakeDirs(absl::StrCat(params.state_dir, "/backups"), 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, params.db->Open());
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListUserSchemas(*session));

  // Refuse early when the data clearly cannot fit.
  v1::NodeStatus facts;
  RETURN_IF_ERROR(CollectDatabaseFacts(*session, &facts));
  uint64_t estimate = 0;
  for (const auto& s : facts.schemas()) estimate += s.bytes();
  ASSIGN_OR_RETURN(uint64_t free_bytes, FreeBytes(params.state_dir));
  if (estimate > free_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("backup needs about ", estimate, " bytes but ",
                                                     params.state_dir, " has ", free_bytes,
                                                     " free"));
  }

  std::string partial = path + ".partial";
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("create ", partial, ": ", std::strerror(errno)));
  bool keep = false;
  absl::Cleanup close_fd = [&] {
    ::close(fd);
    if (!keep) ::unlink(partial.c_str());
  };

  Sha256 sha;
  uint64_t bytes = 0;
  auto write = [&](absl::string_view data) -> absl::Status {
    sha.Update(data);
    bytes += data.size();
    return WriteAllFd(fd, data, partial);
  };
  RETURN_IF_ERROR(write(
      absl::StrCat("-- mmresync backup of the target before re-seed, run ", params.run_id, "\n")));
  if (!schemas.empty()) {
    ASSIGN_OR_RETURN(PrivateFile defaults, WriteClientDefaults(params.state_dir, params.connect));
    DumpSpec spec;
    spec.dump_command = params.dump_command;
    spec.defaults_file = defaults.path();
    spec.schemas = schemas;
    spec.with_coordinates = false;
    DumpProcess dump;
    RETURN_IF_ERROR(dump.Start(spec));
    absl::Time last = absl::InfinitePast();
    while (true) {
      if (params.cancelled()) {
        dump.Abort();
        return absl::CancelledError("backup cancelled");
      }
      auto data = dump.Read(1 << 20);
      if (!data.ok()) {
        dump.Abort();
        return data.status();
      }
      if (data->empty()) break;
      if (absl::Status s = write(*data); !s.ok()) {
        dump.Abort();
        return s;
      }
      if (absl::Now() - last > absl::Milliseconds(250)) {
        last = absl::Now();
        v1::Progress p;
        p.set_phase("backup");
        p.set_bytes_done(bytes);
        p.set_bytes_total(estimate);
        params.progress(p);
      }
    }
    RETURN_IF_ERROR(dump.Finish());
    if (!dump.scanner().footer_seen()) {
      return absl::DataLossError("backup dump has no \"-- Dump completed\" footer");
    }
  }
  ASSIGN_OR_RETURN(AccountExport accounts, ExportAccounts(*session, params.accounts));
  RETURN_IF_ERROR(write(accounts.sql));
  RETURN_IF_ERROR(write("-- mmresync backup complete\n"));
  if (::fsync(fd) != 0) {
    return absl::InternalError(absl::StrCat("fsync ", partial, ": ", std::strerror(errno)));
  }
  if (::rename(partial.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename ", partial, ": ", std::strerror(errno)));
  }
  keep = true;
  v1::BackupReply reply;
  reply.set_path(path);
  reply.set_bytes(bytes);
  reply.set_sha256(sha.HexDigest());
  return reply;
}

}  // namespace mmresync::agent
