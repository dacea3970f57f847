#include "agent/delta_import.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/delta_accounts.h"
#include "agent/delta_backup.h"
#include "agent/delta_compare.h"
#include "agent/dump_process.h"
#include "agent/key_range.h"
#include "agent/node_facts.h"
#include "agent/object_definitions.h"
#include "agent/replicated_schemas.h"
#include "agent/row_digest.h"
#include "agent/schema_reset.h"
#include "agent/stats_recalc_pause.h"
#include "agent/table_definition.h"
#include "agent/table_statistics.h"
#include "agent/transfer_source.h"
#include "common/fault_point.h"
#include "common/log.h"
#include "common/reseed_sql.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// Ranges one DELETE and one fetch carry: keeps the statement and the request small.
constexpr size_t kRangesPerApply = 512;
constexpr size_t kMaxSchemaBytes = 64 << 20;

using TableName = std::pair<std::string, std::string>;

std::string Name(const TableName& t) {
  return absl::StrCat(QuoteIdentifier(t.first), ".", QuoteIdentifier(t.second));
}

struct TablePlan {
  enum class Action { kCompare, kCopy, kDrop };
  Action action = Action::kCompare;
  TableName name;
  const v1::TransferPart* source = nullptr;  // compare, copy
  std::optional<v1::TransferPart> target;    // the target's own table, when it has one
  std::string target_create;                 // its definition then
  std::optional<TableKey> key;               // compare
  std::string reason;                        // copy, drop: why
  std::vector<v1::KeyRange> differing;       // compare: found by the comparison
};

// Decides per table what the repair does (step 1 of delta_import.h, before comparing).
absl::StatusOr<std::vector<TablePlan>> PlanTables(DbSession& meta,
                                                  const std::vector<std::string>& schemas,
                                                  const v1::BeginTransferReply& manifest) {
  ASSIGN_OR_RETURN(std::vector<v1::TransferPart> mine, ListTableParts(meta, schemas));
  std::map<TableName, v1::TransferPart> target;
  for (auto& p : mine) target[{p.schema(), p.table()}] = std::move(p);
  std::vector<TablePlan> plans;
  for (const auto& part : manifest.parts()) {
    if (part.kind() != v1::TransferPart::TABLE_ROWS) continue;
    TablePlan t;
    t.name = {part.schema(), part.table()};
    t.source = &part;
    auto it = target.find(t.name);
    if (it == target.end()) {
      t.action = TablePlan::Action::kCopy;
      t.reason = "only on the source";
      plans.push_back(std::move(t));
      continue;
    }
    t.target = it->second;
    target.erase(it);
    ASSIGN_OR_RETURN(t.target_create, ShowCreateTable(meta, part.schema(), part.table()));
    if (ComparableCreateTable(t.target_create) != ComparableCreateTable(part.create_table())) {
      t.action = TablePlan::Action::kCopy;
      t.reason = "its definition differs";
    } else {
      ASSIGN_OR_RETURN(KeyLookup key, LoadTableKey(meta, part.schema(), part.table()));
      if (key.key) {
        t.key = std::move(key.key);
      } else {
        t.action = TablePlan::Action::kCopy;
        t.reason = key.why_not;
      }
    }
    plans.push_back(std::move(t));
  }
  for (auto& [name, part] : target) {
    TablePlan t;
    t.action = TablePlan::Action::kDrop;
    t.name = name;
    t.reason = "only on the target";
    ASSIGN_OR_RETURN(t.target_create, ShowCreateTable(meta, name.first, name.second));
    t.target = std::move(part);
    plans.push_back(std::move(t));
  }
  return plans;
}

class DeltaRun {
 public:
  DeltaRun(const DeltaImportParams& params, TransferPeer& peer,
           const v1::BeginTransferReply& manifest)
      : params_(params),
        base_(params.logical.base),
        peer_(peer),
        manifest_(manifest),
        canceller_([this] { return base_.cancelled(); }) {}

  absl::StatusOr<v1::ImportResult> Run();

 private:
  absl::StatusOr<std::unique_ptr<DbSession>> OpenReader();
  absl::Status Compare(std::vector<TablePlan>& plans);
  absl::Status Apply(std::vector<TablePlan>& plans, const std::vector<std::string>& schemas);
  absl::Status ReplaceRanges(const TablePlan& t);
  absl::Status CopyTable(const TablePlan& t);
  absl::Status DropTable(const TablePlan& t);
  absl::Status DropObjects();
  absl::Status CreateObjects();
  absl::Status CheckObjectsEqual(const std::vector<std::string>& schemas);
  absl::StatusOr<AccountDefs> TargetAccounts();
  absl::Status CompareAccounts();
  absl::Status ReplaceAccountsOnTarget();
  absl::Status CheckAccountsEqual();
  void Report(const std::string& phase, const std::string& message);

  const DeltaImportParams& params_;
  const TargetImportParams& base_;
  TransferPeer& peer_;
  const v1::BeginTransferReply& manifest_;
  StreamCanceller canceller_;
  SharedProgress shared_;
  v1::DeltaStats stats_;
  std::unique_ptr<DbSession> reader_;   // SET NAMES binary: row values as stored
  std::unique_ptr<DbSession> meta_;     // SET NAMES utf8mb4: definitions as the source reads them
  std::unique_ptr<DbSession> writer_;   // a loader session: sql_log_bin=0, local_infile
  std::unique_ptr<DbSession> objects_;  // sql_log_bin=0 with the server's defaults otherwise:
                                        // each object's own settings are set on it
  ObjectChanges object_changes_;        // views and routines to replace
  AccountDefs source_accounts_;         // the source's, as this node may compare them
  AccountChanges account_changes_;      // accounts and roles to replace
  std::optional<DeltaBackup> backup_;
};

void DeltaRun::Report(const std::string& phase, const std::string& message) {
  v1::Progress p;
  p.set_phase(phase);
  p.set_method("delta");
  p.set_bytes_done(shared_.bytes.load());
  p.set_wire_bytes(shared_.wire_bytes.load());
  stats_.set_bytes_moved(shared_.bytes.load());
  *p.mutable_delta() = stats_;
  p.set_message(message);
  base_.progress(p);
}

absl::StatusOr<std::unique_ptr<DbSession>> DeltaRun::OpenReader() {
  ASSIGN_OR_RETURN(std::unique_ptr<DbSession> reader, base_.db->Open());
  for (const char* sql : {"SET NAMES binary", "SET SESSION time_zone = '+00:00'"}) {
    RETURN_IF_ERROR(reader->Execute(sql));
  }
  return reader;
}

absl::Status DeltaRun::Compare(std::vector<TablePlan>& plans) {
  std::vector<TablePlan*> tables;
  for (auto& t : plans) {
    if (t.action == TablePlan::Action::kCompare) tables.push_back(&t);
  }
  // Largest first, so that the lanes finish together.
  std::stable_sort(tables.begin(), tables.end(), [](const TablePlan* a, const TablePlan* b) {
    return a->source->estimated_bytes() > b->source->estimated_bytes();
  });
  // A lane holds one reader here and, while it digests, one of the source's snapshot
  // connections: no more lanes than the source has.
  const size_t lanes = std::min<size_t>(
      {std::max<uint32_t>(1, manifest_.workers()), size_t{kMaxCompareLanes}, tables.size()});
  std::vector<std::unique_ptr<DbSession>> readers;
  for (size_t i = 1; i < lanes; ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<DbSession> reader, OpenReader());
    readers.push_back(std::move(reader));
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  absl::Status first_error;
  CompareLimits limits;
  limits.chunk_rows = params_.chunk_rows;
  limits.chunk_bytes = params_.chunk_bytes;
  limits.leaf_rows = params_.leaf_rows;
  limits.row_encoding = manifest_.row_encoding();
  limits.cancelled = [this, &failed] { return failed.load() || base_.cancelled(); };
  auto compare_all = [&](DbSession& reader) -> absl::Status {
    for (size_t i; !limits.cancelled() && (i = next++) < tables.size();) {
      TablePlan& t = *tables[i];
      const absl::Time start = absl::Now();
      absl::StatusOr<TableComparison> c = CompareTable(reader, peer_, *t.source, *t.key, limits);
      if (!c.ok()) return Annotate(c.status(), absl::StrCat("comparing ", Name(t.name)));
      {
        absl::MutexLock lock(&mu);
        t.differing = std::move(c->differing);
        stats_.set_tables_compared(stats_.tables_compared() + 1);
        stats_.set_chunks_compared(stats_.chunks_compared() + c->stats.compared);
        stats_.set_source_bytes_read(stats_.source_bytes_read() + c->stats.source_bytes);
        stats_.set_target_bytes_read(stats_.target_bytes_read() + c->stats.target_bytes);
        std::string found = absl::StrCat(t.differing.size(), " range(s) differ");
        if (!c->copy_whole.empty()) {
          t.action = TablePlan::Action::kCopy;
          t.reason = c->copy_whole;
          found = absl::StrCat(c->copy_whole, ": copied whole rather than range by range");
        }
        log::Info("delta: compared ", Name(t.name), " in ",
                  absl::FormatDuration(absl::Now() - start), ": ", c->stats.compared,
                  " chunk(s) in ", c->stats.rounds, " round(s), ", found);
        Report("compare", absl::StrCat("compared ", Name(t.name), ": ", found));
      }
      MMRESYNC_FAULT_POINT("delta_table_compared");
    }
    return absl::OkStatus();
  };
  auto lane = [&](DbSession& reader) {
    absl::Status s = compare_all(reader);
    if (s.ok()) return;
    absl::MutexLock lock(&mu);
    if (first_error.ok()) first_error = std::move(s);
    failed = true;
  };
  std::vector<std::thread> threads;
  for (auto& reader : readers) {
    threads.emplace_back([&lane, r = reader.get()] { lane(*r); });
  }
  lane(*reader_);
  for (auto& th : threads) th.join();
  if (failed) return first_error;
  if (base_.cancelled()) return absl::CancelledError("import cancelled");
  return absl::OkStatus();
}

absl::Status DeltaRun::ReplaceRanges(const TablePlan& t) {
  const std::string name = Name(t.name);
  for (size_t pos = 0; pos < t.differing.size(); pos += kRangesPerApply) {
    if (base_.cancelled()) return absl::CancelledError("import cancelled");
    std::vector<v1::KeyRange> batch(
        t.differing.begin() + pos,
        t.differing.begin() + std::min(t.differing.size(), pos + kRangesPerApply));
    ASSIGN_OR_RETURN(std::string where, RangesCondition(*t.key, batch));
    const std::string remove = DeleteRangesStatement(t.name.first, t.name.second, where);
    RETURN_IF_ERROR(backup_->SaveRows(*reader_, *t.source, where, remove + ";").status());
    ASSIGN_OR_RETURN(std::unique_ptr<DumpStream> rows, peer_.FetchRanges(t.source->id(), batch));
    // One transaction: the target never shows a range half replaced.
    RETURN_IF_ERROR(writer_->Execute("START TRANSACTION"));
    absl::Cleanup rollback = [this] { (void)writer_->Execute("ROLLBACK"); };
    RETURN_IF_ERROR(Annotate(writer_->Execute(remove), absl::StrCat("deleting from ", name)));
    ASSIGN_OR_RETURN(ResultSet deleted, writer_->Query("SELECT ROW_COUNT() AS n"));
    ASSIGN_OR_RETURN(uint64_t loaded,
                     LoadStream(*writer_, *rows, *t.source, base_.cancelled, canceller_, shared_));
    RETURN_IF_ERROR(writer_->Execute("COMMIT"));
    std::move(rollback).Cancel();
    uint64_t n = 0;
    (void)absl::SimpleAtoi(deleted.GetOr(0, "n", "0"), &n);
    stats_.set_rows_deleted(stats_.rows_deleted() + n);
    stats_.set_rows_moved(stats_.rows_moved() + loaded);
    stats_.set_chunks_differing(stats_.chunks_differing() + batch.size());
  }
  return absl::OkStatus();
}

absl::Status DeltaRun::CopyTable(const TablePlan& t) {
  const std::string name = Name(t.name);
  if (t.target) {
    RETURN_IF_ERROR(backup_->SaveSql(
        absl::StrCat("the old definition of ", name, " (", t.reason, ")"),
        absl::StrCat("USE ", QuoteIdentifier(t.name.first), ";\nDROP TABLE IF EXISTS ", name, ";\n",
                     t.target_create, ";\n")));
    RETURN_IF_ERROR(backup_->SaveRows(*reader_, *t.target, "1", "").status());
  } else {
    RETURN_IF_ERROR(backup_->SaveSql(absl::StrCat(name, " (not on the target before)"),
                                     absl::StrCat("DROP TABLE IF EXISTS ", name, ";\n")));
  }
  RETURN_IF_ERROR(writer_->Execute(absl::StrCat("DROP TABLE IF EXISTS ", name)));
  RETURN_IF_ERROR(writer_->Execute(absl::StrCat("USE ", QuoteIdentifier(t.name.first))));
  RETURN_IF_ERROR(Annotate(writer_->Execute(t.source->create_table()),
                           absl::StrCat("creating ", name, " as the source has it")));
  const uint64_t before = shared_.rows.load();
  RETURN_IF_ERROR(LoadTable(*writer_, peer_, *t.source, base_.cancelled, canceller_, shared_));
  RefreshStatisticsOrWarn(*writer_, t.name.first, t.name.second);
  stats_.set_tables_copied(stats_.tables_copied() + 1);
  log::Info("delta: copied ", name, " whole (", t.reason, "): ", shared_.rows.load() - before,
            " rows");
  return absl::OkStatus();
}

absl::Status DeltaRun::DropTable(const TablePlan& t) {
  const std::string name = Name(t.name);
  RETURN_IF_ERROR(backup_->SaveSql(
      absl::StrCat("the definition of ", name, " (dropped: only on the target)"),
      // DROP first: the entry holds whether or not the repair got to drop it.
      absl::StrCat("USE ", QuoteIdentifier(t.name.first), ";\nDROP TABLE IF EXISTS ", name, ";\n",
                   t.target_create, ";\n")));
  RETURN_IF_ERROR(backup_->SaveRows(*reader_, *t.target, "1", "").status());
  RETURN_IF_ERROR(writer_->Execute(absl::StrCat("DROP TABLE ", name)));
  stats_.set_tables_dropped(stats_.tables_dropped() + 1);
  return absl::OkStatus();
}

absl::Status DeltaRun::DropObjects() {
  std::set<std::tuple<std::string, std::string, std::string>> had;
  for (const auto& old : object_changes_.drop) {
    had.insert({old.schema(), old.name(), old.kind()});
    ASSIGN_OR_RETURN(std::string script, CreateObjectScript(old));
    RETURN_IF_ERROR(backup_->SaveSql(absl::StrCat("the target's ", ObjectLabel(old)),
                                     absl::StrCat(DropObjectSql(old), ";\n", script),
                                     /*last=*/true));
  }
  for (const auto& created : object_changes_.create) {
    if (had.contains({created.schema(), created.name(), created.kind()})) continue;
    RETURN_IF_ERROR(backup_->SaveSql(
        absl::StrCat("the source's ", ObjectLabel(created), " (not on the target before)"),
        absl::StrCat(DropObjectSql(created), ";\n"), /*last=*/true));
  }
  for (const auto& old : object_changes_.drop) {
    RETURN_IF_ERROR(Annotate(objects_->Execute(DropObjectSql(old)),
                             absl::StrCat("dropping the target's ", ObjectLabel(old))));
  }
  return absl::OkStatus();
}

absl::Status DeltaRun::CreateObjects() {
  // Routines first (a view may call a function); a view on a view not created yet
  // fails and is tried again after the others, as long as each pass creates one.
  std::vector<const v1::ObjectDefinition*> pending;
  for (const auto& o : object_changes_.create) {
    if (o.kind() != "VIEW") pending.push_back(&o);
  }
  for (const auto& o : object_changes_.create) {
    if (o.kind() == "VIEW") pending.push_back(&o);
  }
  while (!pending.empty()) {
    std::vector<const v1::ObjectDefinition*> failed;
    absl::Status first_error;
    for (const v1::ObjectDefinition* o : pending) {
      ASSIGN_OR_RETURN(std::vector<std::string> statements, CreateObjectStatements(*o));
      absl::Status s;
      for (const auto& sql : statements) {
        s = objects_->Execute(sql);
        if (!s.ok()) break;
      }
      if (s.ok()) {
        stats_.set_objects_replaced(stats_.objects_replaced() + 1);
        continue;
      }
      if (o->kind() != "VIEW") {
        return Annotate(s, absl::StrCat("creating the source's ", ObjectLabel(*o)));
      }
      if (first_error.ok()) {
        first_error = Annotate(s, absl::StrCat("creating the source's ", ObjectLabel(*o)));
      }
      failed.push_back(o);
    }
    if (failed.size() == pending.size()) return first_error;
    pending = std::move(failed);
  }
  return absl::OkStatus();
}

absl::Status DeltaRun::CheckObjectsEqual(const std::vector<std::string>& schemas) {
  ASSIGN_OR_RETURN(ObjectList now, ListObjectDefinitions(*meta_, schemas));
  ObjectList source(manifest_.objects().begin(), manifest_.objects().end());
  ObjectChanges left = DiffObjects(source, now);
  if (left.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& o : left.create) names.push_back(ObjectLabel(o));
  for (const auto& o : left.drop) names.push_back(ObjectLabel(o));
  return absl::InternalError(
      absl::StrCat("after the repair the target's ", absl::StrJoin(names, ", "),
                   " still differ from the source's (the target stays fenced)"));
}

absl::StatusOr<AccountDefs> DeltaRun::TargetAccounts() {
  ASSIGN_OR_RETURN(AccountList mine, ListAccounts(*meta_, params_.accounts));
  const v1::AccountDefinitions& source = manifest_.account_definitions();
  return ComparableAccounts(mine.accounts, params_.accounts,
                            {source.kept_users().begin(), source.kept_users().end()});
}

absl::Status DeltaRun::CompareAccounts() {
  if (!manifest_.has_account_definitions()) return absl::OkStatus();
  const v1::AccountDefinitions& source = manifest_.account_definitions();
  for (const auto& a : source.accounts()) {
    if (a.user().empty() || (!a.is_role() && a.create_sql().empty())) {
      return absl::InvalidArgumentError(
          "the source's manifest has an account without a name or a definition (nothing was "
          "changed)");
    }
  }
  source_accounts_ =
      ComparableAccounts({source.accounts().begin(), source.accounts().end()}, params_.accounts,
                         {source.kept_users().begin(), source.kept_users().end()});
  ASSIGN_OR_RETURN(AccountDefs mine, TargetAccounts());
  account_changes_ = DiffAccounts(source_accounts_, mine);
  return absl::OkStatus();
}

absl::Status DeltaRun::ReplaceAccountsOnTarget() {
  if (account_changes_.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(backup_->SaveSql("the target's accounts and roles the repair replaced",
                                   AccountsRestoreSql(*objects_, account_changes_),
                                   /*last=*/true));
  RETURN_IF_ERROR(ReplaceAccounts(*objects_, account_changes_));
  stats_.set_objects_replaced(stats_.objects_replaced() +
                              static_cast<uint32_t>(account_changes_.changed));
  std::set<std::string> names;
  for (const auto& a : account_changes_.drop) names.insert(AccountLabel(*objects_, a));
  for (const auto& a : account_changes_.create) names.insert(AccountLabel(*objects_, a));
  Report("apply", absl::StrCat("replaced ", account_changes_.changed,
                               " account(s) and role(s): ", absl::StrJoin(names, ", ")));
  return absl::OkStatus();
}

absl::Status DeltaRun::CheckAccountsEqual() {
  if (!manifest_.has_account_definitions()) return absl::OkStatus();
  ASSIGN_OR_RETURN(AccountDefs now, TargetAccounts());
  AccountChanges left = DiffAccounts(source_accounts_, now);
  if (left.empty()) return absl::OkStatus();
  std::set<std::string> names;
  for (const auto& a : left.create) names.insert(AccountLabel(*meta_, a));
  for (const auto& a : left.drop) names.insert(AccountLabel(*meta_, a));
  return absl::InternalError(
      absl::StrCat("after the repair the target's ", absl::StrJoin(names, ", "),
                   " still differ from the source's (the target stays fenced)"));
}

absl::Status DeltaRun::Apply(std::vector<TablePlan>& plans,
                             const std::vector<std::string>& schemas) {
  RETURN_IF_ERROR(WithNote(base_.fence_check(*writer_), "nothing was changed"));
  ASSIGN_OR_RETURN(DeltaBackup backup, DeltaBackup::Create(base_.state_dir, params_.run_id));
  backup_.emplace(std::move(backup));
  stats_.set_backup_dir(backup_->dir());
  if (!schemas.empty()) {
    ASSIGN_OR_RETURN(std::string post,
                     DumpSchemaText(params_.dump_command, base_.state_dir, base_.connect, schemas,
                                    DumpContent::kSchemaPostData, kMaxSchemaBytes));
    RETURN_IF_ERROR(backup_->SaveSql("the target's triggers and events", post, /*last=*/true));
  }
  ASSIGN_OR_RETURN(int dropped, DropTriggersAndEvents(*writer_));
  Report("apply", absl::StrCat("dropped the target's ", dropped,
                               " trigger(s) and event(s); the source's follow the rows"));
  // Before the tables: a view the target has where the source has a table goes first.
  RETURN_IF_ERROR(DropObjects());
  // A table copied whole is analysed once loaded (as by the logical method), so InnoDB's
  // background recalculation pauses meanwhile (stats_recalc_pause.h).
  std::optional<StatsRecalcPause> pause;
  if (std::any_of(plans.begin(), plans.end(),
                  [](const TablePlan& t) { return t.action == TablePlan::Action::kCopy; })) {
    pause.emplace(StatsRecalcPause::Begin(*writer_, base_.state_dir));
    if (!pause->note().empty()) log::Warning(pause->note());
  }
  absl::Cleanup resume_recalc = [&] {
    if (pause) pause->EndOrWarn(*base_.db);
  };
  for (const auto& t : plans) {
    if (base_.cancelled()) return absl::CancelledError("import cancelled");
    switch (t.action) {
      case TablePlan::Action::kCompare:
        if (!t.differing.empty()) RETURN_IF_ERROR(ReplaceRanges(t));
        break;
      case TablePlan::Action::kCopy:
        RETURN_IF_ERROR(CopyTable(t));
        break;
      case TablePlan::Action::kDrop:
        RETURN_IF_ERROR(DropTable(t));
        break;
    }
    Report("apply", absl::StrCat("repaired ", Name(t.name)));
    MMRESYNC_FAULT_POINT("delta_table_applied");
  }
  std::vector<const v1::TransferPart*> post;
  for (const auto& part : manifest_.parts()) {
    if (part.kind() == v1::TransferPart::POST_SQL ||
        (part.kind() == v1::TransferPart::ACCOUNTS_SQL && !manifest_.has_account_definitions())) {
      post.push_back(&part);
    }
  }
  RETURN_IF_ERROR(CreateObjects());
  if (!object_changes_.empty()) {
    Report("apply", absl::StrCat("replaced ", stats_.objects_replaced(),
                                 " view(s) and routine(s), "
                                 "dropped ",
                                 object_changes_.drop.size()));
  }
  RETURN_IF_ERROR(RunSqlParts(params_.logical, peer_, post, canceller_, shared_));
  RETURN_IF_ERROR(ReplaceAccountsOnTarget());
  RETURN_IF_ERROR(CheckObjectsEqual(schemas));
  return CheckAccountsEqual();
}

absl::StatusOr<v1::ImportResult> DeltaRun::Run() {
  if (manifest_.method() != "delta") {
    return absl::FailedPreconditionError(absl::StrCat(
        "the source answered a delta session with method \"", manifest_.method(), "\""));
  }
  if (!KnownRowEncoding(manifest_.row_encoding())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the source's manifest names row encoding ", static_cast<int>(manifest_.row_encoding()),
        ", which this agent does not know: run the same mmresync-agent version on both "
        "nodes (nothing was changed)"));
  }
  for (const auto& part : manifest_.parts()) {
    if (part.kind() == v1::TransferPart::TABLE_ROWS &&
        (IsSystemSchema(part.schema()) || part.schema().empty() || part.table().empty() ||
         part.columns_size() == 0 || part.create_table().empty())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the source's manifest has table part ", part.id(),
          " in a system schema, or without a name, columns or definition (nothing was changed)"));
    }
  }
  if (!base_.fence_check) {
    return absl::InternalError("import without a fence check (nothing was changed)");
  }
  ASSIGN_OR_RETURN(reader_, OpenReader());
  ASSIGN_OR_RETURN(meta_, base_.db->Open());
  RETURN_IF_ERROR(meta_->Execute("SET NAMES utf8mb4"));
  ASSIGN_OR_RETURN(writer_, params_.logical.loaders->Open());
  ASSIGN_OR_RETURN(objects_, params_.logical.loaders->Open());
  for (const char* sql : {"SET SESSION sql_log_bin = 0", "SET NAMES utf8mb4"}) {
    RETURN_IF_ERROR(objects_->Execute(sql));
  }
  for (const auto& sql : LoaderSessionStatements()) RETURN_IF_ERROR(writer_->Execute(sql));
  // Rows go into tables that keep other rows: duplicates must fail, not slip in.
  RETURN_IF_ERROR(writer_->Execute("SET SESSION unique_checks = 1"));
  RETURN_IF_ERROR(writer_->Execute("SET NAMES utf8mb4"));

  // Only what replication carries: a schema the pair ignores is this node's own.
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListReplicatedSchemas(*meta_));
  ASSIGN_OR_RETURN(std::string definitions, DefinitionsDigest(*meta_, schemas));
  std::vector<std::string> differ =
      DifferingDefinitions(manifest_.definitions_digest(), definitions);
  // Views and routines are compared one by one below; schemas are not repaired.
  if (std::find(differ.begin(), differ.end(), "schemas") != differ.end()) {
    return absl::FailedPreconditionError(
        "the target's user schemas (names, character sets, collations) differ from the "
        "source's; the delta method does not create or drop schemas: use --method logical "
        "(nothing was changed)");
  }
  ASSIGN_OR_RETURN(ObjectList target_objects, ListObjectDefinitions(*meta_, schemas));
  for (const auto& o : manifest_.objects()) {
    if (absl::Status s = CreateObjectStatements(o).status(); !s.ok()) {
      return WithNote(Annotate(s, "the source's manifest"), "nothing was changed");
    }
  }
  object_changes_ = DiffObjects(ObjectList(manifest_.objects().begin(), manifest_.objects().end()),
                                target_objects);
  RETURN_IF_ERROR(CompareAccounts());
  ASSIGN_OR_RETURN(std::vector<TablePlan> plans, PlanTables(*meta_, schemas, manifest_));
  RETURN_IF_ERROR(Compare(plans));
  MMRESYNC_FAULT_POINT("delta_compared");
  RETURN_IF_ERROR(Apply(plans, schemas));
  ASSIGN_OR_RETURN(int disabled, DisableEventsOnReplica(*writer_));
  if (absl::Status s = peer_.End(); !s.ok()) {
    Report("finalize", absl::StrCat("ending the source's session: ", s.message()));
  }
  stats_.set_bytes_moved(shared_.bytes.load());
  v1::ImportResult result;
  *result.mutable_source_snapshot() = manifest_.snapshot();
  result.set_bytes(shared_.bytes.load());
  result.set_wire_bytes(shared_.wire_bytes.load());
  result.set_schemas(manifest_.schemas());
  result.set_accounts(manifest_.accounts());
  result.set_events_disabled(static_cast<uint32_t>(disabled));
  result.set_source_lock_ms(manifest_.commit_block_ms());
  result.set_method("delta");
  result.set_workers(1);
  result.set_tables(static_cast<uint32_t>(plans.size()));
  result.set_rows(shared_.rows.load());
  *result.mutable_delta() = stats_;
  return result;
}

}  // namespace

absl::StatusOr<v1::ImportResult> ImportDelta(const DeltaImportParams& params, TransferPeer& peer,
                                             const v1::BeginTransferReply& manifest) {
  DeltaRun run(params, peer, manifest);
  return run.Run();
}

}  // namespace mmresync::agent
