#include "agent/fence_keeper.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/replication_control.h"
#include "common/files.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace mmresync::agent {

FenceKeeper::FenceKeeper(std::string state_dir, DbSessionFactory* db,
                         std::function<bool(const std::string&)> run_holds_lease,
                         absl::Duration interval)
    : state_dir_(std::move(state_dir)), db_(db), run_holds_lease_(std::move(run_holds_lease)) {
  if (interval > absl::ZeroDuration()) thread_ = std::thread([this, interval] { Loop(interval); });
}

FenceKeeper::~FenceKeeper() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

std::string FenceKeeper::marker_path() const { return state_dir_ + "/fenced-by-run"; }

std::string FenceKeeper::fenced_by() const {
  absl::MutexLock lock(&mu_);
  auto text = ReadFileToString(marker_path());
  return text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : std::string();
}

absl::Status FenceKeeper::Apply(bool read_only, const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, db_->Open());
  if (read_only) {
    // Marked first: a server that restarts between the two is fenced again by the loop.
    RETURN_IF_ERROR(
        Annotate(WriteFileAtomically(marker_path(), run_id + "\n", 0600), "recording the fence"));
    return SetReadOnly(*session, true);
  }
  RETURN_IF_ERROR(SetReadOnly(*session, false));
  if (::unlink(marker_path().c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(absl::StrCat("unlink ", marker_path(), ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> FenceKeeper::CheckOnce() {
  absl::MutexLock lock(&mu_);
  return CheckLocked();
}

absl::StatusOr<bool> FenceKeeper::CheckLocked() {
  auto marker = ReadFileToString(marker_path());
  if (!marker.ok()) return false;  // not fenced
  const std::string run(absl::StripAsciiWhitespace(*marker));
  if (!run_holds_lease_(run)) return false;
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, db_->Open());
  ASSIGN_OR_RETURN(ResultSet rs, session->Query("SELECT @@GLOBAL.read_only AS ro"));
  if (rs.GetOr(0, "ro", "1") != "0") return false;
  RETURN_IF_ERROR(SetReadOnly(*session, true));
  log::Warning("read_only was OFF on this node, fenced by run ", run,
               " (its mariadbd restarted?): set it ON again");
  return true;
}

void FenceKeeper::Loop(absl::Duration interval) {
  while (!stop_.WaitForNotificationWithTimeout(interval)) {
    absl::StatusOr<bool> checked = CheckOnce();
    // A server that is down is what this waits out: quiet at debug level.
    if (!checked.ok()) log::Debug("fence check: ", checked.status().message());
  }
}

}  // namespace mmresync::agent
