#include "coordinator/verify_command.h"

#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/escape.h"
#include "common/version.h"
#include "coordinator/cluster_session.h"
#include "coordinator/diagnosis.h"
#include "coordinator/exit_codes.h"
#include "coordinator/json_text.h"
#include "coordinator/replication_error.h"

namespace mmresync::coordinator {
namespace {

constexpr int kAttempts = 3;

// True when `replica` has executed everything up to `master` (binlog names of one
// server share a prefix and a zero-padded number, so they order as strings).
bool Reached(const v1::ReplicaStatus& replica, const v1::BinlogCoordinates& master) {
  if (replica.master_log_file() != master.file()) {
    return replica.master_log_file() > master.file();
  }
  return replica.exec_master_log_pos() >= master.position();
}

// Bounded wait until each node has applied the other's position as it is now.
absl::Status WaitCaughtUp(AgentClient& a, AgentClient& b, absl::Duration timeout) {
  auto sa = a.GetReplicationStatus();
  auto sb = b.GetReplicationStatus();
  if (!sa.ok()) return sa.status();
  if (!sb.ok()) return sb.status();
  v1::BinlogCoordinates a_pos = sa->master(), b_pos = sb->master();
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    sa = a.GetReplicationStatus();
    sb = b.GetReplicationStatus();
    if (!sa.ok()) return sa.status();
    if (!sb.ok()) return sb.status();
    bool a_ok = Reached(sa->replica(), b_pos), b_ok = Reached(sb->replica(), a_pos);
    if (a_ok && b_ok) return absl::OkStatus();
    // A thread stopped on an error never catches up: say so now, not at the deadline.
    if (auto stopped = StoppedReplicationError(a.node().name, sa->replica())) return *stopped;
    if (auto stopped = StoppedReplicationError(b.node().name, sb->replica())) return *stopped;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          !a_ok ? a.node().name : b.node().name, " has not applied its peer's position ",
          !a_ok ? absl::StrCat(b_pos.file(), ":", b_pos.position())
                : absl::StrCat(a_pos.file(), ":", a_pos.position()),
          " after ", absl::FormatDuration(timeout),
          " (is replication running? see mmresync status)"));
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

std::string Key(const v1::TableChecksum& t) { return absl::StrCat(t.schema(), ".", t.table()); }

}  // namespace

std::vector<std::string> CompareChecksums(const std::string& name_a, const v1::ChecksumReply& a,
                                          const std::string& name_b, const v1::ChecksumReply& b) {
  // Keyed by (schema, table): "a.b"."c" and "a"."b.c" are different tables.
  std::map<std::pair<std::string, std::string>, const v1::TableChecksum*> in_a, in_b;
  for (const auto& t : a.tables()) in_a[{t.schema(), t.table()}] = &t;
  for (const auto& t : b.tables()) in_b[{t.schema(), t.table()}] = &t;
  std::vector<std::string> out;
  for (const auto& [name, ta] : in_a) {
    const std::string key = Key(*ta);
    auto it = in_b.find(name);
    if (it == in_b.end()) {
      out.push_back(absl::StrCat(key, ": missing on ", name_b));
      continue;
    }
    const v1::TableChecksum* tb = it->second;
    if (ta->checksum() != tb->checksum() || ta->rows() != tb->rows() ||
        ta->checksum_null() != tb->checksum_null()) {
      out.push_back(absl::StrCat(key, ": ", name_a, " checksum ", ta->checksum(), " rows ",
                                 ta->rows(), "; ", name_b, " checksum ", tb->checksum(), " rows ",
                                 tb->rows()));
    }
  }
  for (const auto& [name, tb] : in_b) {
    if (!in_a.count(name)) out.push_back(absl::StrCat(Key(*tb), ": missing on ", name_a));
  }
  return out;
}

int RunVerify(const std::string& config_flag, bool json, absl::Duration timeout) {
  auto session = OpenCluster(config_flag);
  if (!session.ok()) {
    PrintTerminal(stderr, "mmresync: %s\n", std::string(session.status().message()).c_str());
    return kExitUsage;
  }
  if (absl::Status s = VerifyAgentIdentities(*session); !s.ok()) {
    PrintTerminal(stderr, "mmresync: refused: %s\n", std::string(s.message()));
    return kExitRefused;
  }
  AgentClient& a = *session->a;
  AgentClient& b = *session->b;
  std::vector<std::string> mismatches;
  size_t tables = 0;
  // Writes that land between the two checksum passes show up as differences; only
  // differences that persist over several caught-up passes are reported.
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    if (absl::Status s = WaitCaughtUp(a, b, timeout); !s.ok()) {
      PrintTerminal(stderr, "mmresync verify: %s\n", std::string(s.message()).c_str());
      if (absl::IsFailedPrecondition(s)) {
        PrintTerminal(stderr,
                      "next: mmresync status, then mmresync recover (the data cannot be "
                      "compared while replication is stopped)\n");
      }
      return absl::IsDeadlineExceeded(s) || absl::IsFailedPrecondition(s) ? kExitFailed
                                                                          : kExitUsage;
    }
    absl::StatusOr<v1::ChecksumReply> sa, sb;
    std::thread other([&] { sb = b.TableChecksums(); });
    sa = a.TableChecksums();
    other.join();
    if (!sa.ok() || !sb.ok()) {
      PrintTerminal(stderr, "mmresync verify: %s\n",
                    std::string((!sa.ok() ? sa.status() : sb.status()).message()).c_str());
      return kExitUsage;
    }
    tables = std::max(sa->tables_size(), sb->tables_size());
    mismatches = CompareChecksums(a.node().name, *sa, b.node().name, *sb);
    if (mismatches.empty()) break;
  }
  if (json) {
    std::string list;
    for (size_t i = 0; i < mismatches.size(); ++i) {
      absl::StrAppend(&list, i ? "," : "", JsonQuote(mismatches[i]));
    }
    PrintTerminal(stdout,
                  "{\"schema_version\":%d,\"version\":%s,\"tables\":%zu,\"equal\":%s,"
                  "\"mismatches\":[%s]}\n",
                  kJsonSchemaVersion, JsonQuote(VersionText()), tables,
                  mismatches.empty() ? "true" : "false", list.c_str());
  } else if (mismatches.empty()) {
    PrintTerminal(stdout, "verify: %zu table(s) equal on %s and %s (checksum and row count)\n",
                  tables, a.node().name.c_str(), b.node().name.c_str());
  } else {
    PrintTerminal(stdout, "verify: %zu of %zu table(s) differ:\n", mismatches.size(), tables);
    for (const auto& m : mismatches) PrintTerminal(stdout, "  %s\n", m.c_str());
    PrintTerminal(stdout,
                  "next: mmresync recover --force --source NODE  (the node whose data is right)\n");
  }
  return mismatches.empty() ? kExitOk : kExitFailed;
}

}  // namespace mmresync::coordinator
