#include "agent/auto_compression.h"

#include "absl/strings/str_format.h"
#include "common/compression.h"

namespace mmresync::agent {

AutoCompression::AutoCompression(Options options, std::function<absl::Time()> now)
    : options_(options), now_(std::move(now)) {
  absl::MutexLock lock(&mu_);
  phase_start_ = now_();
}

void AutoCompression::Enter(Phase phase, absl::Time now) {
  phase_ = phase;
  phase_start_ = now;
  measured_bytes_ = 0;
}

int AutoCompression::NextLevel() {
  absl::MutexLock lock(&mu_);
  return phase_ == Phase::kProbeOn || phase_ == Phase::kHoldOn ? kAutoZstdLevel : 0;
}

double AutoCompression::ProbeRate(absl::Time now) const {
  const absl::Duration measured = now - phase_start_ - options_.settle;
  if (measured < options_.measure || measured_bytes_ < options_.min_measure_bytes) return 0;
  return measured_bytes_ / absl::ToDoubleSeconds(measured);
}

void AutoCompression::Sent(uint64_t raw_bytes) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  const absl::Duration in_phase = now - phase_start_;
  switch (phase_) {
    case Phase::kWarmup:
      if (in_phase >= options_.warmup) Enter(Phase::kProbeOn, now);
      break;
    case Phase::kProbeOn:
    case Phase::kProbeOff: {
      if (in_phase <= options_.settle) break;
      measured_bytes_ += raw_bytes;
      const double rate = ProbeRate(now);
      if (rate == 0) break;
      if (phase_ == Phase::kProbeOn) {
        rate_on_ = rate;
        Enter(Phase::kProbeOff, now);
      } else {
        rate_off_ = rate;
        Enter(rate_on_ >= rate_off_ * options_.required_gain ? Phase::kHoldOn : Phase::kHoldOff,
              now);
      }
      break;
    }
    case Phase::kHoldOn:
    case Phase::kHoldOff:
      if (in_phase >= options_.hold) Enter(Phase::kProbeOn, now);
      break;
  }
}

std::string AutoCompression::Describe() const {
  absl::MutexLock lock(&mu_);
  const auto rates = [&] {
    return absl::StrFormat("%.1f MB/s compressed vs %.1f MB/s not", rate_on_ / 1e6,
                           rate_off_ / 1e6);
  };
  switch (phase_) {
    case Phase::kWarmup:
    case Phase::kProbeOn:
    case Phase::kProbeOff:
      return rate_on_ == 0 && rate_off_ == 0 ? "probing" : "probing again (" + rates() + ")";
    case Phase::kHoldOn:
      return "on (" + rates() + ")";
    case Phase::kHoldOff:
      return "off (" + rates() + ")";
  }
  return "";
}

}  // namespace mmresync::agent
