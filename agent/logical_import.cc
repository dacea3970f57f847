#include "agent/logical_import.h"

#include <atomic>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/client_defaults.h"
#include "agent/dump_process.h"
#include "agent/load_data_format.h"
#include "agent/node_facts.h"
#include "agent/part_reader.h"
#include "agent/replicated_schemas.h"
#include "agent/schema_reset.h"
#include "agent/stats_recalc_pause.h"
#include "agent/stream_canceller.h"
#include "agent/table_statistics.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

std::string PartName(const v1::TransferPart& part) {
  switch (part.kind()) {
    case v1::TransferPart::SCHEMA_SQL:
      return "schema definitions";
    case v1::TransferPart::POST_SQL:
      return "triggers and events";
    case v1::TransferPart::ACCOUNTS_SQL:
      return "accounts";
    default:
      return absl::StrCat("table ", QuoteIdentifier(part.schema()), ".",
                          QuoteIdentifier(part.table()));
  }
}

// While it lives, fetches `part` (a small SQL part) again every few seconds and drains
// it. The source ends a session in which no part was fetched for 30 s (its idle bound,
// which also ends its snapshot); dropping thousands of tables, and creating them again
// from the schema part, takes longer than that (5,000: minutes on a loaded host), and
// the table loads must still find the session afterwards.
class SessionKeepalive {
 public:
  SessionKeepalive(TransferPeer& peer, const v1::TransferPart* part) {
    if (part == nullptr) return;
    thread_ = std::thread([this, &peer, part] {
      while (!done_.WaitForNotificationWithTimeout(absl::Seconds(5))) {
        absl::Status s = Drain(peer, *part);
        if (!s.ok()) log::Warning("keeping the transfer session alive: ", s.message());
      }
    });
  }
  ~SessionKeepalive() {
    done_.Notify();
    if (thread_.joinable()) thread_.join();
  }
  SessionKeepalive(const SessionKeepalive&) = delete;
  SessionKeepalive& operator=(const SessionKeepalive&) = delete;

 private:
  static absl::Status Drain(TransferPeer& peer, const v1::TransferPart& part) {
    ASSIGN_OR_RETURN(std::unique_ptr<DumpStream> stream, peer.Fetch(part.id()));
    PartReader reader(*stream, PartName(part));
    while (true) {
      ASSIGN_OR_RETURN(absl::string_view data, reader.NextChunk());
      if (data.empty()) return absl::OkStatus();
    }
  }

  absl::Notification done_;
  std::thread thread_;
};

}  // namespace

absl::Status RunSqlParts(const LogicalImportParams& params, TransferPeer& peer,
                         const std::vector<const v1::TransferPart*>& parts,
                         StreamCanceller& canceller, SharedProgress& progress) {
  ASSIGN_OR_RETURN(PrivateFile defaults,
                   WriteClientDefaults(params.base.state_dir, params.base.connect));
  ImportProcess import;
  RETURN_IF_ERROR(import.Start(params.base.client_command, defaults.path()));
  for (const v1::TransferPart* part : parts) {
    const std::string what = PartName(*part);
    auto stream = peer.Fetch(part->id());
    if (!stream.ok()) {
      import.Abort();
      return Annotate(stream.status(), what);
    }
    StreamCanceller::Registration cancellable(canceller, stream->get());
    PartReader reader(**stream, what, [&](size_t raw, size_t wire) {
      progress.bytes += raw;
      progress.wire_bytes += wire;
    });
    while (true) {
      if (params.base.cancelled()) {
        import.Abort();
        return absl::CancelledError("import cancelled");
      }
      auto data = reader.NextChunk();
      if (!data.ok()) {
        import.Abort();
        return data.status();
      }
      if (data->empty()) break;
      if (absl::Status s = import.Write(*data); !s.ok()) {
        import.Abort();
        return Annotate(s, what);
      }
    }
    ++progress.parts_done;
  }
  return import.Finish();
}

absl::Status LoadTable(DbSession& session, TransferPeer& peer, const v1::TransferPart& part,
                       const std::function<bool()>& stop, StreamCanceller& canceller,
                       SharedProgress& progress) {
  ASSIGN_OR_RETURN(std::unique_ptr<DumpStream> stream, peer.Fetch(part.id()));
  return LoadStream(session, *stream, part, stop, canceller, progress).status();
}

absl::StatusOr<uint64_t> LoadStream(DbSession& session, DumpStream& stream,
                                    const v1::TransferPart& part, const std::function<bool()>& stop,
                                    StreamCanceller& canceller, SharedProgress& progress) {
  const std::string what = PartName(part);
  const absl::Time start = absl::Now();
  StreamCanceller::Registration cancellable(canceller, &stream);
  PartReader reader(stream, what, [&](size_t raw, size_t wire) {
    progress.bytes += raw;
    progress.wire_bytes += wire;
  });
  auto loaded = session.LoadDataLocal(LoadDataSql(part), [&](char* buf, size_t size) {
    if (stop()) return absl::StatusOr<size_t>(absl::CancelledError("import stopped"));
    return reader.Read(buf, size);
  });
  if (!loaded.ok()) {
    stream.Cancel();
    return Annotate(loaded.status(), absl::StrCat("loading ", what));
  }
  if (*loaded != reader.trailer().rows()) {
    return absl::DataLossError(absl::StrCat("loading ", what, ": the source sent ",
                                            reader.trailer().rows(), " rows, ", *loaded,
                                            " were loaded"));
  }
  ASSIGN_OR_RETURN(unsigned warnings, session.WarningCount());
  if (warnings != 0) {
    std::string detail;
    if (auto w = session.Query("SHOW WARNINGS LIMIT 3"); w.ok()) {
      std::vector<std::string> lines;
      for (size_t i = 0; i < w->rows.size(); ++i) {
        lines.push_back(absl::StrCat(w->GetOr(i, "Code", "?"), " ", w->GetOr(i, "Message", "")));
      }
      detail = absl::StrJoin(lines, "; ");
    }
    return absl::DataLossError(absl::StrCat("loading ", what, ": ", warnings,
                                            " warning(s), the copy would differ: ", detail));
  }
  progress.rows += *loaded;
  ++progress.parts_done;
  log::Info("loaded ", what, ": ", *loaded, " rows, ", reader.bytes(), " bytes in ",
            absl::FormatDuration(absl::Now() - start));
  return *loaded;
}

namespace {

v1::Progress MakeProgress(const SharedProgress& shared, uint64_t total, uint32_t parts_total,
                          std::string message) {
  v1::Progress p;
  p.set_phase("stream");
  p.set_method("logical");
  p.set_bytes_done(shared.bytes.load());
  p.set_wire_bytes(shared.wire_bytes.load());
  p.set_bytes_total(total);
  p.set_parts_done(shared.parts_done.load());
  p.set_parts_total(parts_total);
  p.set_message(std::move(message));
  return p;
}

}  // namespace

absl::StatusOr<v1::ImportResult> ImportLogical(const LogicalImportParams& params,
                                               TransferPeer& peer,
                                               const v1::BeginTransferReply& manifest) {
  const TargetImportParams& base = params.base;
  std::vector<const v1::TransferPart*> pre, tables, post;
  uint64_t total = 0;
  for (const auto& part : manifest.parts()) {
    total += part.estimated_bytes();
    switch (part.kind()) {
      case v1::TransferPart::SCHEMA_SQL:
        pre.push_back(&part);
        break;
      case v1::TransferPart::TABLE_ROWS:
        tables.push_back(&part);
        break;
      case v1::TransferPart::POST_SQL:
      case v1::TransferPart::ACCOUNTS_SQL:
        post.push_back(&part);
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("the source's manifest has part ", part.id(), " of unknown kind"));
    }
    // Whatever the source sends, rows only ever go into user schemas.
    if (part.kind() == v1::TransferPart::TABLE_ROWS && IsSystemSchema(part.schema())) {
      return absl::InvalidArgumentError(absl::StrCat("the source's manifest has table part ",
                                                     part.id(), " in system schema ",
                                                     QuoteIdentifier(part.schema())));
    }
    if (part.kind() == v1::TransferPart::TABLE_ROWS &&
        (part.schema().empty() || part.table().empty() || part.columns_size() == 0)) {
      return absl::InvalidArgumentError(absl::StrCat("the source's manifest has table part ",
                                                     part.id(), " without a name or columns"));
    }
  }
  const uint32_t parts_total = static_cast<uint32_t>(manifest.parts_size());
  SharedProgress shared;

  // Loader sessions first: a target that cannot open them has nothing dropped yet.
  const size_t n = std::max<size_t>(1, std::min<size_t>(manifest.workers(), tables.size()));
  std::vector<std::unique_ptr<DbSession>> loaders;
  for (size_t i = 0; i < n && !tables.empty(); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<DbSession> s, params.loaders->Open());
    for (const auto& sql : LoaderSessionStatements()) RETURN_IF_ERROR(s->Execute(sql));
    loaders.push_back(std::move(s));
  }

  if (!base.fence_check) {
    return absl::InternalError("import without a fence check (nothing was dropped)");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> session, base.db->Open());
  RETURN_IF_ERROR(WithNote(base.fence_check(*session), "nothing was dropped"));
  // Whatever the source sends, rows never go into a schema this node's replication
  // ignores: that is its own data, which the drop below leaves in place.
  ASSIGN_OR_RETURN(SchemaFilter filter, ReadSchemaFilter(*session));
  for (const v1::TransferPart* part : tables) {
    if (!filter.Carries(part->schema())) {
      return absl::InvalidArgumentError(
          absl::StrCat("the source's manifest has table part ", part->id(), " in schema ",
                       QuoteIdentifier(part->schema()), ", which replication ignores here (",
                       filter.Describe(), "); nothing was dropped"));
    }
  }
  std::atomic<bool> failed{false};
  auto stop = [&] { return failed.load() || base.cancelled(); };
  StreamCanceller canceller(stop);
  {
    // The drop and the schema's CREATEs fetch nothing for as long as they run.
    SessionKeepalive keepalive(peer, pre.empty() ? nullptr : pre.front());
    ASSIGN_OR_RETURN(std::vector<std::string> dropped, DropUserSchemas(*session));
    v1::Progress drop =
        MakeProgress(shared, total, parts_total,
                     absl::StrCat("dropped ", dropped.size(), " user schema(s)",
                                  dropped.empty() ? "" : ": ", absl::StrJoin(dropped, ", ")));
    drop.set_phase("drop");
    base.progress(drop);
    RETURN_IF_ERROR(RunSqlParts(params, peer, pre, canceller, shared));
  }
  // The drop and the schema may have waited on metadata locks: the fence again.
  RETURN_IF_ERROR(base.fence_check(*session));
  StatsRecalcPause pause = StatsRecalcPause::Begin(*session, base.state_dir);
  if (!pause.note().empty()) log::Warning(pause.note());
  // Whatever ends the load puts the setting back.
  absl::Cleanup resume_recalc = [&] { pause.EndOrWarn(*base.db); };

  // The tables, in the manifest's order (largest first), `n` at a time.
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  absl::Status first_error;
  std::vector<std::thread> threads;
  std::atomic<size_t> running{loaders.size()};
  // Notified by the last loader to finish, so that the import goes on at once rather
  // than at the next progress tick.
  absl::Notification all_done;
  if (loaders.empty()) all_done.Notify();
  for (auto& loader : loaders) {
    threads.emplace_back([&, session = loader.get()] {
      while (!stop()) {
        const size_t i = next++;
        if (i >= tables.size()) break;
        absl::Status s = LoadTable(*session, peer, *tables[i], stop, canceller, shared);
        if (s.ok()) RefreshStatisticsOrWarn(*session, tables[i]->schema(), tables[i]->table());
        if (!s.ok()) {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = s;
          failed = true;
        }
      }
      if (--running == 0) all_done.Notify();
    });
  }
  do {
    base.progress(MakeProgress(shared, total, parts_total, ""));
  } while (!all_done.WaitForNotificationWithTimeout(absl::Milliseconds(250)));
  for (auto& t : threads) t.join();
  if (failed) {
    absl::MutexLock lock(&mu);
    return first_error;
  }
  if (base.cancelled()) return absl::CancelledError("import cancelled");

  base.progress(MakeProgress(shared, total, parts_total, "triggers, events, accounts"));
  RETURN_IF_ERROR(RunSqlParts(params, peer, post, canceller, shared));
  ASSIGN_OR_RETURN(int disabled, DisableEventsOnReplica(*session));
  if (absl::Status s = peer.End(); !s.ok()) {
    // The copy is complete and checked; the source's session expires by itself.
    base.progress(MakeProgress(shared, total, parts_total,
                               absl::StrCat("ending the source's session: ", s.message())));
  }

  v1::ImportResult result;
  *result.mutable_source_snapshot() = manifest.snapshot();
  result.set_bytes(shared.bytes.load());
  result.set_wire_bytes(shared.wire_bytes.load());
  result.set_schemas(manifest.schemas());
  result.set_accounts(manifest.accounts());
  result.set_events_disabled(static_cast<uint32_t>(disabled));
  result.set_source_lock_ms(manifest.commit_block_ms());
  result.set_method("logical");
  result.set_workers(static_cast<uint32_t>(loaders.size()));
  result.set_tables(static_cast<uint32_t>(tables.size()));
  result.set_rows(shared.rows.load());
  return result;
}

}  // namespace mmresync::agent
