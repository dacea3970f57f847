#pragma once

// DbSession over MariaDB Connector/C.
//
// Contracts:
// - Auto-reconnect is off: a lock or session variable lives exactly as long as this
//   object's connection. A lost connection makes every later call fail with UNAVAILABLE;
//   open a new session instead of retrying on this one.
// - Errors name the endpoint and carry the server's (or client library's) errno and
//   SQLSTATE: "mariadb at /run/mysqld/mysqld.sock: ERROR 1045 (28000): Access denied ...".
//   They never contain the password or the statement text (statements may carry
//   secrets, e.g. CHANGE MASTER ... MASTER_PASSWORD).
// - Status codes, chosen by what the caller should do:
//     connect failures, lost connection (2002, 2003, 2006, 2013, ...) -> UNAVAILABLE
//     bad credentials at connect (1045, 1698)                        -> UNAUTHENTICATED
//     missing privileges (1044, 1142, 1143, 1227, ...)               -> PERMISSION_DENIED
//     lock wait timeout, deadlock, query interrupted (1205, 1213, 1317) -> ABORTED
//     statement timeout (1969)                                       -> DEADLINE_EXCEEDED
//     syntax errors (1064, 1149)                                     -> INTERNAL (our bug)
//     any other server error (1062, 1146, slave state, ...)          -> FAILED_PRECONDITION
// - Not thread-safe: one session is used by one thread at a time.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "agent/db_session.h"

struct st_mysql;  // MYSQL from <mysql.h>; kept out of this header.

namespace mmresync::agent {

class MariadbSession : public DbSession {
 public:
  // Connects over `params.socket` when set (MYSQL_PROTOCOL_SOCKET), otherwise over TCP
  // to `params.host`:`params.port` (MYSQL_PROTOCOL_TCP, even for "localhost"). The
  // session charset is utf8mb4. `read_timeout_s` is used for reads and writes.
  static absl::StatusOr<std::unique_ptr<MariadbSession>> Connect(const DbConnectParams& params);

  ~MariadbSession() override;
  MariadbSession(const MariadbSession&) = delete;
  MariadbSession& operator=(const MariadbSession&) = delete;

  absl::Status Execute(absl::string_view sql) override;
  absl::StatusOr<ResultSet> Query(absl::string_view sql) override;
  std::string EscapeString(absl::string_view value) override;
  absl::Status StreamRows(absl::string_view sql,
                          absl::FunctionRef<absl::Status(const RowValues&)> on_row) override;
  // Needs the session opened with DbConnectParams::local_infile.
  absl::StatusOr<uint64_t> LoadDataLocal(absl::string_view sql, InfileReader read) override;
  absl::StatusOr<unsigned> WarningCount() override;

  // "mariadb at /path/to.sock" or "mariadb at 127.0.0.1:3306": how errors name us.
  const std::string& endpoint() const { return endpoint_; }
  // The server's id for this connection (CONNECTION_ID(), usable with KILL).
  unsigned long connection_id() const;

 private:
  MariadbSession(st_mysql* mysql, std::string endpoint, std::string password);

  // The status for the last error on this connection.
  absl::Status LastError() const;
  // Reads and frees every remaining result of the current statement.
  absl::Status DrainResults();

  st_mysql* mysql_;
  std::string endpoint_;
  // Kept only to scrub it from server messages that echo statement text.
  std::string password_;
};

// Opens MariadbSessions with fixed parameters (the agent's configured account).
class MariadbSessionFactory : public DbSessionFactory {
 public:
  explicit MariadbSessionFactory(DbConnectParams params) : params_(std::move(params)) {}
  absl::StatusOr<std::unique_ptr<DbSession>> Open() override;

 private:
  DbConnectParams params_;
};

}  // namespace mmresync::agent
