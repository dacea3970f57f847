#include "agent/mariadb_session.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstdio>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace mmresync::agent {
namespace {

// Connector/C wants mysql_library_init() once before any thread calls mysql_init().
void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// Client-side errno values that mean "there is no usable connection".
bool IsConnectionLost(unsigned err) {
  switch (err) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_HANDSHAKE_ERR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case CR_ERR_NET_UNCOMPRESS:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case ER_NEW_ABORTING_CONNECTION:
      return true;
    default:
      return false;
  }
}

absl::StatusCode CodeForQueryError(unsigned err) {
  if (IsConnectionLost(err)) return absl::StatusCode::kUnavailable;
  switch (err) {
    case ER_DBACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_ERROR:
    case ER_KILL_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_PROCACCESS_DENIED_ERROR:
      return absl::StatusCode::kPermissionDenied;
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_QUERY_INTERRUPTED:
      return absl::StatusCode::kAborted;
    case ER_STATEMENT_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case ER_PARSE_ERROR:
    case ER_SYNTAX_ERROR:
      return absl::StatusCode::kInternal;
    default:
      // Client library errors other than lost connections are our misuse of the API.
      if (err >= 2000 && err < 3000) return absl::StatusCode::kInternal;
      return absl::StatusCode::kFailedPrecondition;
  }
}

absl::StatusCode CodeForConnectError(unsigned err) {
  switch (err) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
      return absl::StatusCode::kUnauthenticated;
    case ER_DBACCESS_DENIED_ERROR:
    case ER_HOST_NOT_PRIVILEGED:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

// "mariadb at <endpoint>: ERROR <errno> (<sqlstate>): <message>", with the password
// scrubbed in case the server echoed statement text that contained it.
std::string FormatError(MYSQL* mysql, const std::string& endpoint, const std::string& password) {
  std::string message = mysql_error(mysql);
  if (!password.empty()) message = absl::StrReplaceAll(message, {{password, "<redacted>"}});
  return absl::StrCat(endpoint, ": ERROR ", mysql_errno(mysql), " (", mysql_sqlstate(mysql),
                      "): ", message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MariadbSession>> MariadbSession::Connect(
    const DbConnectParams& params) {
  InitLibraryOnce();
  std::string endpoint;
  if (!params.socket.empty()) {
    endpoint = absl::StrCat("mariadb at ", params.socket);
  } else if (!params.host.empty()) {
    endpoint = absl::StrCat("mariadb at ", params.host, ":", params.port);
  } else {
    return absl::InvalidArgumentError("mariadb connection: neither socket nor host is set");
  }

  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(endpoint, ": mysql_init failed"));
  }
  // Owned by the session from here on, so every early return closes it.
  std::unique_ptr<MariadbSession> session(new MariadbSession(mysql, endpoint, params.password));

  my_bool reconnect = 0;
  unsigned connect_timeout = params.connect_timeout_s;
  unsigned io_timeout = params.read_timeout_s;
  unsigned local_infile = params.local_infile ? 1 : 0;
  unsigned protocol = params.socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  if (mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &reconnect) != 0 ||
      mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout) != 0 ||
      mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout) != 0 ||
      mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout) != 0 ||
      mysql_optionsv(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile) != 0 ||
      mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &protocol) != 0 ||
      mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0) {
    return absl::InternalError(
        absl::StrCat(endpoint, ": setting client options: ", mysql_error(mysql)));
  }

  const char* host = params.socket.empty() ? params.host.c_str() : "localhost";
  const char* socket = params.socket.empty() ? nullptr : params.socket.c_str();
  const unsigned port = params.socket.empty() ? params.port : 0;
  if (mysql_real_connect(mysql, host, params.user.c_str(), params.password.c_str(),
                         /*db=*/nullptr, port, socket, /*clientflag=*/0) == nullptr) {
    return absl::Status(CodeForConnectError(mysql_errno(mysql)),
                        FormatError(mysql, endpoint, params.password));
  }
  return session;
}

MariadbSession::MariadbSession(st_mysql* mysql, std::string endpoint, std::string password)
    : mysql_(mysql), endpoint_(std::move(endpoint)), password_(std::move(password)) {}

MariadbSession::~MariadbSession() { mysql_close(mysql_); }

unsigned long MariadbSession::connection_id() const { return mysql_thread_id(mysql_); }

absl::Status MariadbSession::LastError() const {
  return absl::Status(CodeForQueryError(mysql_errno(mysql_)),
                      FormatError(mysql_, endpoint_, password_));
}

absl::Status MariadbSession::DrainResults() {
  for (;;) {
    MYSQL_RES* result = mysql_store_result(mysql_);
    if (result != nullptr) {
      mysql_free_result(result);
    } else if (mysql_field_count(mysql_) != 0) {
      return LastError();
    }
    if (!mysql_more_results(mysql_)) return absl::OkStatus();
    const int next = mysql_next_result(mysql_);
    if (next > 0) return LastError();
    if (next < 0) return absl::OkStatus();
  }
}

absl::Status MariadbSession::Execute(absl::string_view sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError();
  return DrainResults();
}

absl::StatusOr<ResultSet> MariadbSession::Query(absl::string_view sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError();
  ResultSet out;
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result == nullptr) {
    if (mysql_field_count(mysql_) != 0) return LastError();
    // A statement without a result set: no columns, no rows.
    absl::Status drained = DrainResults();
    if (!drained.ok()) return drained;
    return out;
  }
  const unsigned num_fields = mysql_num_fields(result);
  MYSQL_FIELD* fields = mysql_fetch_fields(result);
  out.columns.reserve(num_fields);
  for (unsigned i = 0; i < num_fields; ++i) {
    out.columns.emplace_back(fields[i].name, fields[i].name_length);
  }
  out.rows.reserve(mysql_num_rows(result));
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    std::vector<std::optional<std::string>>& values = out.rows.emplace_back();
    values.reserve(num_fields);
    for (unsigned i = 0; i < num_fields; ++i) {
      if (row[i] == nullptr) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(row[i], lengths[i]));
      }
    }
  }
  mysql_free_result(result);
  // Stored procedures can return more than one result; only the first is kept.
  if (mysql_more_results(mysql_)) {
    const int next = mysql_next_result(mysql_);
    if (next > 0) return LastError();
    if (next == 0) {
      absl::Status drained = DrainResults();
      if (!drained.ok()) return drained;
    }
  }
  return out;
}

std::string MariadbSession::EscapeString(absl::string_view value) {
  std::string out(value.size() * 2 + 1, '\0');
  const unsigned long n = mysql_real_escape_string(mysql_, out.data(), value.data(), value.size());
  if (n == static_cast<unsigned long>(-1)) {
    // Cannot happen with a 2n+1 buffer. Fall back to an escaping that is safe under
    // every sql_mode (with NO_BACKSLASH_ESCAPES a backslash comes out doubled, which
    // changes the value but can never end the literal early).
    return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"'", "''"}});
  }
  out.resize(n);
  return out;
}

absl::Status MariadbSession::StreamRows(absl::string_view sql,
                                        absl::FunctionRef<absl::Status(const RowValues&)> on_row) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return LastError();
  MYSQL_RES* result = mysql_use_result(mysql_);
  if (result == nullptr) {
    if (mysql_field_count(mysql_) != 0) return LastError();
    return DrainResults();
  }
  const unsigned num_fields = mysql_num_fields(result);
  RowValues values(num_fields);
  absl::Status status;
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    for (unsigned i = 0; i < num_fields; ++i) {
      values[i] = row[i] == nullptr
                      ? std::nullopt
                      : std::optional<absl::string_view>(absl::string_view(row[i], lengths[i]));
    }
    status = on_row(values);
    if (!status.ok()) break;
  }
  // A row fetch that stopped on an error (not the end) leaves it in mysql_errno.
  if (status.ok() && mysql_errno(mysql_) != 0) {
    status = LastError();
  } else if (!status.ok()) {
    // Freeing an unfinished use_result set would read every remaining row first (hours
    // on a big table): cut the connection instead. This session is unusable after it.
    mariadb_cancel(mysql_);
  }
  mysql_free_result(result);
  return status;
}

namespace {

// What LoadDataLocal hands Connector/C's infile callbacks.
struct InfileState {
  DbSession::InfileReader* read;
  absl::Status error;
};

int InfileInit(void** ptr, const char*, void* userdata) {
  *ptr = userdata;
  return 0;
}

int InfileRead(void* ptr, char* buf, unsigned int size) {
  auto* state = static_cast<InfileState*>(ptr);
  auto n = (*state->read)(buf, size);
  if (!n.ok()) {
    state->error = n.status();
    return -1;
  }
  return static_cast<int>(*n);
}

void InfileEnd(void*) {}

int InfileError(void* ptr, char* msg, unsigned int size) {
  auto* state = static_cast<InfileState*>(ptr);
  std::string text(state->error.message());
  snprintf(msg, size, "%s", text.c_str());
  return 2000;  // CR_UNKNOWN_ERROR: the reader's own status is returned instead
}

}  // namespace

absl::StatusOr<uint64_t> MariadbSession::LoadDataLocal(absl::string_view sql, InfileReader read) {
  InfileState state{&read, absl::OkStatus()};
  mysql_set_local_infile_handler(mysql_, InfileInit, InfileRead, InfileEnd, InfileError, &state);
  const int rc = mysql_real_query(mysql_, sql.data(), sql.size());
  mysql_set_local_infile_default(mysql_);
  if (!state.error.ok()) return state.error;
  if (rc != 0) return LastError();
  const uint64_t rows = mysql_affected_rows(mysql_);
  RETURN_IF_ERROR(DrainResults());
  return rows;
}

absl::StatusOr<unsigned> MariadbSession::WarningCount() { return mysql_warning_count(mysql_); }

absl::StatusOr<std::unique_ptr<DbSession>> MariadbSessionFactory::Open() {
  auto session = MariadbSession::Connect(params_);
  if (!session.ok()) return session.status();
  return std::unique_ptr<DbSession>(std::move(session).value());
}

}  // namespace mmresync::agent
