#include "coordinator/progress.h"
#include "absl/strings/string_view.h"
#include "common/escape.h"

#include <sys/ioctl.h>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/version.h"
#include "coordinator/diagnosis.h"
#include "coordinator/json_text.h"

namespace mmresync::coordinator {

void RateMeter::Add(uint64_t bytes_done, absl::Time now) {
  if (last_time_ == absl::InfinitePast()) {
    last_time_ = now;
    last_bytes_ = bytes_done;
    return;
  }
  double dt = absl::ToDoubleSeconds(now - last_time_);
  if (dt < 0.2) return;
  double instant = static_cast<double>(bytes_done - std::min(bytes_done, last_bytes_)) / dt;
  // Smooth over a few seconds so the ETA does not jump with every chunk.
  rate_ = rate_ == 0 ? instant : 0.7 * rate_ + 0.3 * instant;
  last_time_ = now;
  last_bytes_ = bytes_done;
}

absl::Duration RateMeter::Eta(uint64_t bytes_done, uint64_t bytes_total) const {
  if (rate_ <= 0 || bytes_total <= bytes_done) return absl::ZeroDuration();
  return absl::Seconds(static_cast<double>(bytes_total - bytes_done) / rate_);
}

std::string FormatClock(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string CompressionText(const std::string& setting, uint64_t raw_bytes, uint64_t wire_bytes) {
  if (setting.empty() || setting == "none") return "";
  if (wire_bytes > 0 && wire_bytes < raw_bytes) {
    const std::string name = setting == "auto" ? std::string("zstd auto") : setting;
    return absl::StrFormat("%s %.1fx", name, static_cast<double>(raw_bytes) / wire_bytes);
  }
  return absl::StrCat(setting, ": uncompressed");
}

namespace {

std::string Took(absl::Duration d) { return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d)); }

std::string ProgressText(const v1::Progress& p, const RateMeter& meter) {
  std::string text = p.phase();
  // The total is an estimate from table statistics, which InnoDB updates lazily: once
  // it is exceeded it says nothing, so show none rather than a wrong one.
  uint64_t total = p.bytes_total() > p.bytes_done() ? p.bytes_total() : 0;
  if (p.bytes_done() > 0 || total > 0) {
    absl::StrAppend(&text, "  ", HumanBytes(p.bytes_done()));
    if (total > 0) absl::StrAppend(&text, " / ~", HumanBytes(total));
    if (meter.BytesPerSecond() > 0) {
      absl::StrAppend(&text, "  ", HumanBytes(static_cast<uint64_t>(meter.BytesPerSecond())), "/s");
      absl::Duration eta = meter.Eta(p.bytes_done(), total);
      if (eta > absl::ZeroDuration()) absl::StrAppend(&text, "  ETA ", FormatClock(eta));
    }
  }
  // Parts come from the source's manifest: they stay right when the byte estimate is off.
  if (p.parts_total() > 0) {
    absl::StrAppend(&text, "  parts ", p.parts_done(), "/", p.parts_total());
  }
  const std::string compression = CompressionText(p.compression(), p.bytes_done(), p.wire_bytes());
  if (!p.method().empty()) {
    absl::StrAppend(&text, "  [", p.method(), compression.empty() ? "" : ", ", compression, "]");
  }
  if (!p.message().empty()) absl::StrAppend(&text, "  ", p.message());
  return text;
}

class TtyProgress : public ProgressSink {
 public:
  explicit TtyProgress(FILE* out) : out_(out) {}
  // Text from the agents (names, error messages) is escaped before our own colour codes
  // are added (common/escape.h).
  void Header(const std::string& text) override {
    Line(absl::StrCat("\033[1m", EscapeUntrusted(text), "\033[0m"));
  }
  void StepStarted(const StepInfo& step) override {
    meter_.Reset();
    started_ = absl::Now();
    Live(step, "");
  }
  void StepProgress(const StepInfo& step, const v1::Progress& p) override {
    meter_.Add(p.bytes_done(), absl::Now());
    Live(step, EscapeUntrusted(ProgressText(p, meter_)));
  }
  void StepNote(const StepInfo& step, const std::string& note) override {
    last_note_ = EscapeUntrusted(note);
    Live(step, last_note_);
  }
  void StepFinished(const StepInfo& step, bool ok, const std::string& detail,
                    absl::Duration took) override {
    // A finished step keeps what it last said (sizes, coordinates), not just "ok".
    std::string text = ok && !last_note_.empty() ? last_note_ : EscapeUntrusted(detail);
    last_note_.clear();
    std::string head = absl::StrFormat("%s [%d/%d] %-27s %-10s (%s) ",
                                       ok ? "\033[32m✔\033[0m" : "\033[31m✘\033[0m", step.index,
                                       step.total, step.title, step.node, Took(took));
    Line(head + text);  // never cut: it may end in a binlog position
  }
  void StepSkipped(const StepInfo& step, const std::string& why) override {
    Line(absl::StrFormat("- [%d/%d] %-27s %-10s skipped: %s", step.index, step.total, step.title,
                         step.node, EscapeUntrusted(why)));
  }
  void Footer(bool ok, const std::string& text) override {
    Line(ok ? absl::StrCat("\033[32m", EscapeTerminalText(text), "\033[0m")
            : absl::StrCat("\033[31m", EscapeTerminalText(text), "\033[0m"));
  }

 private:
  void Live(const StepInfo& step, const std::string& what) {
    static const char* kSpin[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    absl::MutexLock lock(&mu_);
    std::string line = absl::StrFormat("%s [%d/%d] %-27s %-10s %s  %s", kSpin[spin_++ % 10],
                                       step.index, step.total, step.title, step.node,
                                       FormatClock(absl::Now() - started_), what);
    // A live line that wraps cannot be redrawn with \r: keep it to the terminal width.
    std::fputs(("\r\033[K" + Fit(line)).c_str(), out_);
    std::fflush(out_);
  }
  // Cuts `text` to the terminal's width, counting UTF-8 code points and skipping colour
  // escape sequences (ESC [ ... m), which take no room.
  std::string Fit(const std::string& text) const {
    winsize ws{};
    size_t width = ioctl(fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 120;
    size_t cols = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\033') {
        while (i < text.size() && text[i] != 'm') ++i;
        continue;
      }
      if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation
      if (++cols >= width) return text.substr(0, i) + "\033[0m";
    }
    return text;
  }
  void Line(const std::string& text) {
    absl::MutexLock lock(&mu_);
    std::fprintf(out_, "\r\033[K%s\n", text.c_str());
    std::fflush(out_);
  }
  FILE* out_;
  absl::Mutex mu_;
  int spin_ = 0;
  RateMeter meter_;
  absl::Time started_ = absl::Now();
  std::string last_note_;
};

class PlainProgress : public ProgressSink {
 public:
  explicit PlainProgress(FILE* out) : out_(out) {}
  void Header(const std::string& text) override { Print(text, /*block=*/true); }
  void StepStarted(const StepInfo& step) override {
    meter_.Reset();
    last_ = absl::InfinitePast();
    Print(
        absl::StrFormat("[%d/%d] %s (%s): started", step.index, step.total, step.title, step.node));
  }
  void StepProgress(const StepInfo& step, const v1::Progress& p) override {
    meter_.Add(p.bytes_done(), absl::Now());
    // A line every few seconds, or when the phase changes: readable in a log file.
    if (absl::Now() - last_ < absl::Seconds(5) && p.phase() == last_phase_) return;
    last_ = absl::Now();
    last_phase_ = p.phase();
    Print(absl::StrFormat("[%d/%d] %s (%s): %s", step.index, step.total, step.title, step.node,
                          ProgressText(p, meter_)));
  }
  void StepNote(const StepInfo& step, const std::string& note) override {
    Print(absl::StrFormat("[%d/%d] %s (%s): %s", step.index, step.total, step.title, step.node,
                          note));
  }
  void StepFinished(const StepInfo& step, bool ok, const std::string& detail,
                    absl::Duration took) override {
    Print(absl::StrFormat("[%d/%d] %s (%s): %s in %s: %s", step.index, step.total, step.title,
                          step.node, ok ? "done" : "FAILED", Took(took), detail));
  }
  void StepSkipped(const StepInfo& step, const std::string& why) override {
    Print(absl::StrFormat("[%d/%d] %s (%s): skipped: %s", step.index, step.total, step.title,
                          step.node, why));
  }
  void Footer(bool ok, const std::string& text) override { Print(text, /*block=*/true); }

 private:
  // One event is one line, whatever names or error text it holds; a footer may be a
  // block of lines we laid out.
  void Print(const std::string& text, bool block = false) {
    absl::MutexLock lock(&mu_);
    WriteTerminal(out_, (block ? text : EscapeUntrusted(text)) + "\n");
    std::fflush(out_);
  }
  FILE* out_;
  absl::Mutex mu_;
  RateMeter meter_;
  absl::Time last_ = absl::InfinitePast();
  std::string last_phase_;
};

// One JSON object per line, for scripts: {"event": ..., "ts": RFC 3339 UTC, "run": ...,
// "index": n, "total": n, "step": ..., "node": ..., "nodes": [...], ...}. Numbers are JSON
// numbers; a step on two nodes ("db1 → db2") also lists them apart in "nodes"; the last
// line (run-done / run-failed) carries "result": {"ok", "run", "text"}.
class JsonProgress : public ProgressSink {
 public:
  JsonProgress(FILE* out, std::string run_id, std::function<absl::Time()> now)
      : out_(out), run_id_(std::move(run_id)), now_(std::move(now)) {}
  void Header(const std::string& text) override {
    Emit("header", nullptr,
         absl::StrCat(",\"text\":", JsonQuote(text), ",\"version\":", JsonQuote(VersionText())));
  }
  void StepStarted(const StepInfo& step) override { Emit("step-start", &step, ""); }
  void StepProgress(const StepInfo& step, const v1::Progress& p) override {
    if (now_() - last_ < absl::Seconds(1)) return;
    last_ = now_();
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(p, &json, options);
    Emit("step-progress", &step, absl::StrCat(",\"progress\":", json));
  }
  void StepNote(const StepInfo& step, const std::string& note) override {
    Emit("step-note", &step, absl::StrCat(",\"text\":", JsonQuote(note)));
  }
  void StepFinished(const StepInfo& step, bool ok, const std::string& detail,
                    absl::Duration took) override {
    Emit(ok ? "step-done" : "step-failed", &step,
         absl::StrCat(",\"detail\":", JsonQuote(detail),
                      ",\"seconds\":", absl::StrFormat("%.3f", absl::ToDoubleSeconds(took))));
  }
  void StepSkipped(const StepInfo& step, const std::string& why) override {
    Emit("step-skipped", &step, absl::StrCat(",\"detail\":", JsonQuote(why)));
  }
  void Footer(bool ok, const std::string& text) override {
    Emit(ok ? "run-done" : "run-failed", nullptr,
         absl::StrCat(",\"text\":", JsonQuote(text), ",\"result\":{\"ok\":", ok ? "true" : "false",
                      ",\"run\":", JsonQuote(run_id_), ",\"text\":", JsonQuote(text), "}"));
  }

 private:
  // `rest`: further members, each starting with a comma.
  void Emit(absl::string_view event, const StepInfo* step, const std::string& rest) {
    std::string line = absl::StrCat(
        "{\"schema_version\":", kJsonSchemaVersion, ",\"event\":", JsonQuote(event), ",\"ts\":",
        JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now_(), absl::UTCTimeZone())),
        ",\"run\":", JsonQuote(run_id_));
    if (step != nullptr) {
      std::vector<std::string> nodes;
      for (absl::string_view n : absl::StrSplit(step->node, " → ", absl::SkipEmpty())) {
        nodes.push_back(JsonQuote(n));
      }
      absl::StrAppend(&line, ",\"index\":", step->index, ",\"total\":", step->total,
                      ",\"step\":", JsonQuote(step->id), ",\"node\":", JsonQuote(step->node),
                      ",\"nodes\":[", absl::StrJoin(nodes, ","), "]");
    }
    line += rest;
    line += "}\n";
    absl::MutexLock lock(&mu_);
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
  }
  FILE* out_;
  const std::string run_id_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace

std::unique_ptr<ProgressSink> MakeTtyProgress(FILE* out) {
  return std::make_unique<TtyProgress>(out);
}
std::unique_ptr<ProgressSink> MakePlainProgress(FILE* out) {
  return std::make_unique<PlainProgress>(out);
}
std::unique_ptr<ProgressSink> MakeJsonProgress(FILE* out, const std::string& run_id,
                                               std::function<absl::Time()> now) {
  return std::make_unique<JsonProgress>(out, run_id, std::move(now));
}

}  // namespace mmresync::coordinator
