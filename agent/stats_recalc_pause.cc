#include "agent/stats_recalc_pause.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

constexpr char kOff[] = "SET GLOBAL innodb_stats_auto_recalc = OFF";
constexpr char kOn[] = "SET GLOBAL innodb_stats_auto_recalc = ON";

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

absl::Status RemoveRecord(const std::string& path) {
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) {
    return absl::InternalError(
        absl::StrCat("removing ", path, ": ", std::strerror(errno),
                     " (innodb_stats_auto_recalc is back ON; remove the file by hand)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string StatsRecalcPauseRecord(const std::string& state_dir) {
  return absl::StrCat(state_dir, "/stats-auto-recalc-paused");
}

bool StatsRecalcPauseRecorded(const std::string& state_dir) {
  return Exists(StatsRecalcPauseRecord(state_dir));
}

StatsRecalcPause StatsRecalcPause::Begin(DbSession& session, const std::string& state_dir) {
  const std::string record = StatsRecalcPauseRecord(state_dir);
  auto inactive = [&](absl::string_view why) {
    return StatsRecalcPause(record, false,
                            absl::StrCat("InnoDB statistics recalculated during the load (", why,
                                         "): the load is slower"));
  };
  // A record left by a killed pause says the setting was ON before it; it stays until
  // the setting is back, whatever happens here.
  const bool left_by_a_killed_pause = Exists(record);
  if (!left_by_a_killed_pause) {
    absl::StatusOr<ResultSet> now = session.Query("SELECT @@GLOBAL.innodb_stats_auto_recalc AS v");
    if (!now.ok()) return inactive(now.status().message());
    // Off by the DBA's choice: theirs to keep, nothing to put back.
    if (now->GetOr(0, "v", "0") != "1") return StatsRecalcPause(record, false, "");
    if (absl::Status s = WriteFileAtomically(record, "innodb_stats_auto_recalc=ON\n", 0600);
        !s.ok()) {
      return inactive(s.message());
    }
  }
  if (absl::Status s = session.Execute(kOff); !s.ok()) {
    if (!left_by_a_killed_pause) (void)RemoveRecord(record);
    return inactive(s.message());
  }
  return StatsRecalcPause(record, true, "");
}

absl::Status StatsRecalcPause::End(DbSession& session) {
  if (!active_) return absl::OkStatus();
  RETURN_IF_ERROR(
      Annotate(session.Execute(kOn), "putting innodb_stats_auto_recalc back ON after the load"));
  active_ = false;
  return RemoveRecord(record_);
}

void StatsRecalcPause::EndOrWarn(DbSessionFactory& db) {
  if (!active_) return;
  absl::StatusOr<std::unique_ptr<DbSession>> session = db.Open();
  absl::Status ended = session.ok() ? End(**session) : session.status();
  if (!ended.ok()) {
    log::Warning(ended.message(),
                 "; the agent tries again when it next starts (or: SET GLOBAL "
                 "innodb_stats_auto_recalc = ON)");
  }
}

absl::Status StatsRecalcPause::RestoreAfterRestart(DbSession& session,
                                                   const std::string& state_dir) {
  const std::string record = StatsRecalcPauseRecord(state_dir);
  if (!Exists(record)) return absl::OkStatus();
  RETURN_IF_ERROR(Annotate(session.Execute(kOn),
                           absl::StrCat("putting innodb_stats_auto_recalc back ON, which a "
                                        "killed load paused (",
                                        record, ")")));
  return RemoveRecord(record);
}

}  // namespace mmresync::agent
