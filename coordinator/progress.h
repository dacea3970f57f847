#pragma once

// What the operator sees while a recovery runs. One interface, three renderings: a
// live terminal display (current step, bytes, rate, ETA), plain log lines when stdout
// is not a terminal, and JSON lines for --json.

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::coordinator {

struct StepInfo {
  int index = 0;  // 1-based
  int total = 0;
  std::string id;
  std::string title;
  std::string node;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void Header(const std::string& text) = 0;
  virtual void StepStarted(const StepInfo& step) = 0;
  virtual void StepProgress(const StepInfo& step, const v1::Progress& progress) = 0;
  virtual void StepNote(const StepInfo& step, const std::string& note) = 0;
  virtual void StepFinished(const StepInfo& step, bool ok, const std::string& detail,
                            absl::Duration took) = 0;
  virtual void StepSkipped(const StepInfo& step, const std::string& why) = 0;
  virtual void Footer(bool ok, const std::string& text) = 0;
};

// Rate over the last few seconds and the ETA from it.
class RateMeter {
 public:
  void Add(uint64_t bytes_done, absl::Time now);
  double BytesPerSecond() const { return rate_; }
  // Zero when unknown.
  absl::Duration Eta(uint64_t bytes_done, uint64_t bytes_total) const;
  void Reset() { *this = RateMeter(); }

 private:
  absl::Time last_time_ = absl::InfinitePast();
  uint64_t last_bytes_ = 0;
  double rate_ = 0;
};

std::unique_ptr<ProgressSink> MakeTtyProgress(FILE* out);
std::unique_ptr<ProgressSink> MakePlainProgress(FILE* out);
// `run_id` is on every line; `now` stamps them (injectable for tests).
std::unique_ptr<ProgressSink> MakeJsonProgress(
    FILE* out, const std::string& run_id,
    std::function<absl::Time()> now = [] { return absl::Now(); });

// "1:02:03" / "2:03".
std::string FormatClock(absl::Duration d);

// What compression did to a stream so far, for the progress line and the step's note:
// "zstd 3 2.8x", "zstd auto 2.8x", "auto: uncompressed", "" (setting none or unknown).
std::string CompressionText(const std::string& setting, uint64_t raw_bytes, uint64_t wire_bytes);

}  // namespace mmresync::coordinator
