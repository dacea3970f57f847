#pragma once

// A session with the local mariadbd. The interface lets unit tests use a fake; the real
// implementation (mariadb_session.h) is MariaDB Connector/C with auto-reconnect off, so
// a lost connection is an error, never a silent new session without our locks and
// session variables.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace mmresync::agent {

// A fully-read result set. Values are text as the server sent them; NULL is nullopt.
struct ResultSet {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  // Index of `column` (case-insensitive), or -1.
  int ColumnIndex(absl::string_view column) const;
  // Value of `column` in row `row`; nullopt for NULL, a missing column or a bad row.
  std::optional<std::string> Get(size_t row, absl::string_view column) const;
  std::string GetOr(size_t row, absl::string_view column, absl::string_view fallback) const;
  bool empty() const { return rows.empty(); }
};

class DbSession {
 public:
  virtual ~DbSession() = default;
  // Runs a statement that returns no rows (or whose rows are discarded).
  virtual absl::Status Execute(absl::string_view sql) = 0;
  // Runs a statement and reads all of its rows.
  virtual absl::StatusOr<ResultSet> Query(absl::string_view sql) = 0;
  // Escapes `value` for use inside a single-quoted SQL string literal.
  virtual std::string EscapeString(absl::string_view value) = 0;

  // Runs a query and hands each row to `on_row` as it arrives, without holding the whole
  // result in memory (binary-safe values; nullopt is NULL). An error from `on_row` stops
  // the query and is returned. The default reads everything first (for fakes).
  using RowValues = std::vector<std::optional<absl::string_view>>;
  virtual absl::Status StreamRows(absl::string_view sql,
                                  absl::FunctionRef<absl::Status(const RowValues&)> on_row);

  // Runs `LOAD DATA LOCAL INFILE ...` (`sql`) whose file content is read from `read`:
  // it fills the buffer and returns the bytes written, 0 at the end, or an error that
  // aborts the statement. Returns the rows the server loaded. Real sessions only.
  using InfileReader = std::function<absl::StatusOr<size_t>(char* buf, size_t size)>;
  virtual absl::StatusOr<uint64_t> LoadDataLocal(absl::string_view sql, InfileReader read);
  // How many warnings the last statement left (mysql_warning_count).
  virtual absl::StatusOr<unsigned> WarningCount();
};

// Where and how to connect; the password comes from the agent's password file.
struct DbConnectParams {
  std::string socket;
  std::string host;
  uint32_t port = 3306;
  std::string user;
  std::string password;
  unsigned connect_timeout_s = 10;
  unsigned read_timeout_s = 3600;
  // Lets LoadDataLocal send data; only the sessions that load from a peer stream set it.
  bool local_infile = false;
};

class DbSessionFactory {
 public:
  virtual ~DbSessionFactory() = default;
  virtual absl::StatusOr<std::unique_ptr<DbSession>> Open() = 0;
};

// `a`b` -> "`a``b`": quotes an identifier the server gave us (schema, table, event).
std::string QuoteIdentifier(absl::string_view name);
// 'x' with the session's escaping.
std::string QuoteString(DbSession& session, absl::string_view value);
// 'a','b' for `IN (...)`; NULL (matches nothing) when `values` is empty.
std::string QuoteStringList(DbSession& session, const std::vector<std::string>& values);

}  // namespace mmresync::agent
