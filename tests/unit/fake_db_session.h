#pragma once

// A scripted stand-in for the agent's connection to mariadbd, for unit tests.
//
//   FakeDbScript script;
//   script.OnQuery("SHOW MASTER STATUS", Rows({"File", "Position"}, {{"bin.000001", "4"}}));
//   script.OnQueryPrefix("SHOW GRANTS FOR ", Rows({"Grants"}, {{"GRANT USAGE ON *.* TO x"}}));
//   script.Fail("DROP DATABASE `app`", absl::InternalError("ERROR 1010 ..."));
//   FakeDbSessionFactory factory(&script);
//   ... code under test opens sessions from `factory` ...
//   EXPECT_THAT(script.statements(), ElementsAre("SET SESSION sql_log_bin = 0", ...));
//
// Every statement given to Execute or Query is appended to one log shared by every
// session of the script, in call order (failed ones included). Matching: an exact SQL
// match wins over a prefix match; among prefixes the longest wins; failures are checked
// before results. An unscripted Query returns an empty result set, unless
// strict_queries is set, in which case it fails (so a test notices a query it did not
// expect). Unscripted Executes succeed.
//
// EscapeString escapes like mysql_real_escape_string (\0 \n \r \\ ' " and ^Z get a
// backslash) and records each value it was given.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "agent/db_session.h"

namespace mmresync::agent::fakes {

// ResultSet from column names and rows; a row value of std::nullopt is SQL NULL.
inline ResultSet Rows(std::vector<std::string> columns,
                      std::vector<std::vector<std::optional<std::string>>> rows = {}) {
  ResultSet rs;
  rs.columns = std::move(columns);
  rs.rows = std::move(rows);
  return rs;
}

class FakeDbScript {
 public:
  FakeDbScript& OnQuery(std::string sql, ResultSet result) {
    exact_results_[std::move(sql)] = std::move(result);
    return *this;
  }
  FakeDbScript& OnQueryPrefix(std::string prefix, ResultSet result) {
    prefix_results_[std::move(prefix)] = std::move(result);
    return *this;
  }
  // Execute or Query of exactly `sql` returns `status`.
  FakeDbScript& Fail(std::string sql, absl::Status status) {
    exact_failures_[std::move(sql)] = std::move(status);
    return *this;
  }
  FakeDbScript& FailPrefix(std::string prefix, absl::Status status) {
    prefix_failures_[std::move(prefix)] = std::move(status);
    return *this;
  }
  // Every later Open() of a factory on this script fails with `status`.
  FakeDbScript& FailOpen(absl::Status status) {
    open_error_ = std::move(status);
    return *this;
  }

  // If set, a Query with neither a scripted result nor a failure is an error.
  bool strict_queries = false;

  const std::vector<std::string>& statements() const { return statements_; }
  // Statements starting with `prefix`, in order.
  std::vector<std::string> StatementsStartingWith(absl::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& s : statements_) {
      if (absl::StartsWith(s, prefix)) out.push_back(s);
    }
    return out;
  }
  // Position of the first statement equal to `sql`, or -1.
  int IndexOf(absl::string_view sql) const {
    for (size_t i = 0; i < statements_.size(); ++i) {
      if (statements_[i] == sql) return static_cast<int>(i);
    }
    return -1;
  }
  // Position of the first statement starting with `prefix`, or -1.
  int IndexOfPrefix(absl::string_view prefix) const {
    for (size_t i = 0; i < statements_.size(); ++i) {
      if (absl::StartsWith(statements_[i], prefix)) return static_cast<int>(i);
    }
    return -1;
  }
  const std::vector<std::string>& escaped() const { return escaped_; }
  int sessions_opened() const { return sessions_opened_; }

  // ---- used by FakeDbSession / FakeDbSessionFactory ----

  absl::Status RunExecute(absl::string_view sql) {
    statements_.emplace_back(sql);
    if (const absl::Status* failure = FindFailure(sql)) return *failure;
    return absl::OkStatus();
  }

  absl::StatusOr<ResultSet> RunQuery(absl::string_view sql) {
    statements_.emplace_back(sql);
    if (const absl::Status* failure = FindFailure(sql)) return *failure;
    if (auto it = exact_results_.find(std::string(sql)); it != exact_results_.end()) {
      return it->second;
    }
    if (const ResultSet* rs = LongestPrefix(prefix_results_, sql)) return *rs;
    if (strict_queries) {
      return absl::UnimplementedError(absl::StrCat("FakeDbScript: unscripted query: ", sql));
    }
    return ResultSet{};
  }

  std::string Escape(absl::string_view value) {
    escaped_.emplace_back(value);
    std::string out;
    for (char c : value) {
      switch (c) {
        case '\0':
          out += "\\0";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\'':
          out += "\\'";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\x1a':
          out += "\\Z";
          break;
        default:
          out += c;
      }
    }
    return out;
  }

  absl::Status OpenStatus() {
    if (!open_error_.ok()) return open_error_;
    ++sessions_opened_;
    return absl::OkStatus();
  }

 private:
  template <typename T>
  static const T* LongestPrefix(const std::map<std::string, T>& table, absl::string_view sql) {
    const T* best = nullptr;
    size_t best_len = 0;
    for (const auto& [prefix, value] : table) {
      if (absl::StartsWith(sql, prefix) && (best == nullptr || prefix.size() > best_len)) {
        best = &value;
        best_len = prefix.size();
      }
    }
    return best;
  }

  const absl::Status* FindFailure(absl::string_view sql) const {
    if (auto it = exact_failures_.find(std::string(sql)); it != exact_failures_.end()) {
      return &it->second;
    }
    return LongestPrefix(prefix_failures_, sql);
  }

  std::map<std::string, ResultSet> exact_results_;
  std::map<std::string, ResultSet> prefix_results_;
  std::map<std::string, absl::Status> exact_failures_;
  std::map<std::string, absl::Status> prefix_failures_;
  absl::Status open_error_;
  std::vector<std::string> statements_;
  std::vector<std::string> escaped_;
  int sessions_opened_ = 0;
};

class FakeDbSession : public DbSession {
 public:
  // `script` is not owned and must outlive the session.
  explicit FakeDbSession(FakeDbScript* script) : script_(script) {}
  absl::Status Execute(absl::string_view sql) override { return script_->RunExecute(sql); }
  absl::StatusOr<ResultSet> Query(absl::string_view sql) override { return script_->RunQuery(sql); }
  std::string EscapeString(absl::string_view value) override { return script_->Escape(value); }

 private:
  FakeDbScript* script_;
};

class FakeDbSessionFactory : public DbSessionFactory {
 public:
  // `script` is not owned and must outlive the factory and its sessions.
  explicit FakeDbSessionFactory(FakeDbScript* script) : script_(script) {}
  absl::StatusOr<std::unique_ptr<DbSession>> Open() override {
    if (absl::Status s = script_->OpenStatus(); !s.ok()) return s;
    return std::unique_ptr<DbSession>(std::make_unique<FakeDbSession>(script_));
  }

 private:
  FakeDbScript* script_;
};

}  // namespace mmresync::agent::fakes
