#include "common/fault_point.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace mmresync::fault {
namespace {

struct Armed {
  Arming arming;
  uint64_t seen = 0;
  bool fired = false;
};

absl::Mutex mu;
std::vector<Armed>* armed ABSL_GUARDED_BY(mu) = new std::vector<Armed>();
std::string* marker_dir ABSL_GUARDED_BY(mu) = new std::string();
// Read without the mutex on every hit: the common case (nothing armed) stays a load.
std::atomic<bool> any_armed{false};

absl::StatusOr<Action> ParseAction(absl::string_view text) {
  if (text == "mark") return Action::kMark;
  if (text == "pause") return Action::kPause;
  if (text == "stop") return Action::kStop;
  if (text == "fail") return Action::kFail;
  if (text == "kill") return Action::kKill;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown action \"", text, "\" (mark, pause, stop, fail or kill)"));
}

// Point names are file names in the marker directory: letters, digits, '_', '-', ':'
// (step ids) only.
bool ValidPointName(absl::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string MarkerPath(const std::string& dir, absl::string_view point, absl::string_view what) {
  return absl::StrCat(dir, "/", point, ".", what);
}

// Best effort: a marker the test cannot see makes the test time out, which names it.
void WriteMarker(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string pid = absl::StrCat(getpid(), "\n");
  (void)!::write(fd, pid.data(), pid.size());
  ::close(fd);
}

absl::Status Fire(const Arming& arming, const std::string& dir) {
  const std::string name =
      arming.bytes > 0 ? absl::StrCat(arming.point, ":", arming.bytes) : arming.point;
  log::Warning("fault point ", name, " reached");
  WriteMarker(MarkerPath(dir, arming.point, "hit"));
  switch (arming.action) {
    case Action::kMark:
      return absl::OkStatus();
    case Action::kFail:
      return absl::InternalError(absl::StrCat("fault point ", name, ": injected failure"));
    case Action::kKill:
      ::kill(getpid(), SIGKILL);
      break;
    case Action::kStop:
      ::kill(getpid(), SIGSTOP);
      return absl::OkStatus();
    case Action::kPause: {
      const std::string release = MarkerPath(dir, arming.point, "continue");
      const absl::Time deadline = absl::Now() + kPauseLimit;
      struct stat st;
      while (::stat(release.c_str(), &st) != 0) {
        if (absl::Now() > deadline) {
          return absl::DeadlineExceededError(absl::StrCat("fault point ", name, ": paused ",
                                                          absl::FormatDuration(kPauseLimit),
                                                          " and ", release, " never appeared"));
        }
        absl::SleepFor(absl::Milliseconds(10));
      }
      log::Warning("fault point ", name, " released");
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

// Finds the arming of `point` that fires now (after adding `bytes`), marks it fired.
bool TakeFiring(absl::string_view point, uint64_t bytes, Arming* out, std::string* dir) {
  absl::MutexLock lock(&mu);
  for (Armed& a : *armed) {
    if (a.fired || a.arming.point != point) continue;
    a.seen += bytes;
    if (a.seen < a.arming.bytes) continue;
    a.fired = true;
    *out = a.arming;
    *dir = *marker_dir;
    return true;
  }
  return false;
}

absl::Status HitImpl(absl::string_view point, uint64_t bytes) {
  if (!any_armed.load(std::memory_order_relaxed)) return absl::OkStatus();
  Arming arming;
  std::string dir;
  if (!TakeFiring(point, bytes, &arming, &dir)) return absl::OkStatus();
  return Fire(arming, dir);
}

}  // namespace

absl::StatusOr<std::vector<Arming>> ParseSpec(absl::string_view spec) {
  std::vector<Arming> out;
  for (absl::string_view entry : absl::StrSplit(spec, ';', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(kPointsVariable, ": entry \"", entry, "\": ", why));
    };
    std::vector<absl::string_view> sides = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (sides.size() != 2) return bad("expected POINT[:BYTES]=ACTION");
    Arming a;
    auto action = ParseAction(sides[1]);
    if (!action.ok()) return bad(action.status().message());
    a.action = *action;
    std::vector<absl::string_view> name = absl::StrSplit(sides[0], absl::MaxSplits(':', 1));
    if (name.size() == 2) {
      // A byte count, or a step id for step_ran:/step_done: (a name, not a number).
      if (!name[1].empty() && absl::ascii_isdigit(name[1][0])) {
        if (!absl::SimpleAtoi(name[1], &a.bytes) || a.bytes == 0) {
          return bad("the byte count must be a positive integer");
        }
        a.point = std::string(name[0]);
      } else {
        a.point = std::string(sides[0]);
      }
    } else {
      a.point = std::string(sides[0]);
    }
    std::vector<absl::string_view> parts = absl::StrSplit(a.point, ':');
    for (absl::string_view part : parts) {
      if (!ValidPointName(part)) return bad("a point name is letters, digits, '_' and '-'");
    }
    out.push_back(std::move(a));
  }
  return out;
}

bool CompiledIn() {
#ifdef MMRESYNC_FAULT_POINTS_ENABLED
  return true;
#else
  return false;
#endif
}

const char* BuildNote() { return CompiledIn() ? " [test build: fault points compiled in]" : ""; }

absl::Status Arm(absl::string_view spec, const std::string& dir) {
  if (!CompiledIn()) {
    return absl::FailedPreconditionError(
        absl::StrCat(kPointsVariable,
                     " is set, but this build has no fault points (configured with "
                     "-DMMRESYNC_FAULT_POINTS=OFF); unset it"));
  }
  auto parsed = ParseSpec(spec);
  if (!parsed.ok()) return parsed.status();
  struct stat st;
  if (!parsed->empty() && (dir.empty() || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
    return absl::InvalidArgumentError(absl::StrCat(
        kDirVariable, " must name an existing directory when fault points are armed (got \"", dir,
        "\")"));
  }
  absl::MutexLock lock(&mu);
  armed->clear();
  std::vector<std::string> names;
  for (Arming& a : *parsed) {
    names.push_back(a.bytes > 0 ? absl::StrCat(a.point, ":", a.bytes) : a.point);
    armed->push_back(Armed{std::move(a)});
  }
  *marker_dir = dir;
  any_armed.store(!armed->empty());
  if (!names.empty()) log::Warning("fault points armed (test build): ", absl::StrJoin(names, ", "));
  return absl::OkStatus();
}

void Disarm() {
  absl::MutexLock lock(&mu);
  armed->clear();
  any_armed.store(false);
}

absl::Status ArmFromEnvironment() {
  const char* spec = std::getenv(kPointsVariable);
  if (spec == nullptr || *spec == '\0') return absl::OkStatus();
  const char* dir = std::getenv(kDirVariable);
  return Arm(spec, dir == nullptr ? "" : dir);
}

absl::Status Hit(absl::string_view point) { return HitImpl(point, 0); }

absl::Status HitBytes(absl::string_view point, uint64_t bytes) { return HitImpl(point, bytes); }

}  // namespace mmresync::fault
