#pragma once

// `mmresync history [RUN] [--json]`: the runs the journal holds (who, when, which roles
// and method, how long, how each ended), or one run's records. Reads only the journal:
// no agent is asked, so it works while the pair is down.

#include <string>
#include <vector>

#include "coordinator/journal.h"
#include "mmresync/v1/journal.pb.h"

namespace mmresync::coordinator {

// "done" | "failed" | "interrupted" | "abandoned" | "left-fenced" (a `backups restore`)
// | "unfinished" (running, or stopped without a record of why: see `mmresync status`).
std::string RunOutcome(const RunRecord& run);

// One line per run, newest last, with a header line.
std::string RenderHistoryText(const std::vector<RunRecord>& runs);
// {"schema_version", "version", "runs": [{"run", "user", "host", "coordinator_id",
// "started", "ended", "seconds", "source", "target", "method", "bytes", "outcome",
// "failed_step", "detail", "attempts"}]}
std::string RenderHistoryJson(const std::vector<RunRecord>& runs);

// One run: its records, a line each (text), or {"schema_version", "version", "run",
// "outcome", "records": [{"time", "event", "step", "node", "detail"}]}.
std::string RenderRunText(const RunRecord& run, const std::vector<v1::JournalEntry>& entries);
std::string RenderRunJson(const RunRecord& run, const std::vector<v1::JournalEntry>& entries);

// `run` empty: every run. Exit 0; 2 for a bad config, an unreadable journal or an
// unknown RUN (named).
int RunHistory(const std::string& config_flag, const std::string& run, bool json);

}  // namespace mmresync::coordinator
