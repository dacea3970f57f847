#include "common/log.h"
#include "absl/strings/string_view.h"

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/escape.h"

namespace mmresync::log {
namespace {

absl::Mutex mu;
std::string& ProgramName() {
  static std::string* name = new std::string("mmresync");
  return *name;
}
Level min_level = Level::kInfo;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

void SetProgramName(absl::string_view name) {
  absl::MutexLock lock(&mu);
  ProgramName() = std::string(name);
}

void SetMinLevel(Level level) {
  absl::MutexLock lock(&mu);
  min_level = level;
}

void Write(Level level, absl::string_view message) {
  absl::MutexLock lock(&mu);
  if (level < min_level) return;
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()), " ",
                   ProgramName(), " ", LevelName(level), " ", EscapeUntrusted(message), "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace mmresync::log
