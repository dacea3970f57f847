#include "agent/db_session.h"

#include "common/reseed_sql.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace mmresync::agent {

int ResultSet::ColumnIndex(absl::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (absl::EqualsIgnoreCase(columns[i], column)) return static_cast<int>(i);
  }
  return -1;
}

std::optional<std::string> ResultSet::Get(size_t row, absl::string_view column) const {
  const int index = ColumnIndex(column);
  if (index < 0 || row >= rows.size()) return std::nullopt;
  const auto& values = rows[row];
  if (static_cast<size_t>(index) >= values.size()) return std::nullopt;
  return values[index];
}

std::string ResultSet::GetOr(size_t row, absl::string_view column,
                             absl::string_view fallback) const {
  std::optional<std::string> value = Get(row, column);
  return value.has_value() ? *std::move(value) : std::string(fallback);
}

absl::Status DbSession::StreamRows(absl::string_view sql,
                                   absl::FunctionRef<absl::Status(const RowValues&)> on_row) {
  auto rs = Query(sql);
  if (!rs.ok()) return rs.status();
  RowValues values;
  for (const auto& row : rs->rows) {
    values.clear();
    for (const auto& v : row) {
      values.push_back(v.has_value() ? std::optional<absl::string_view>(*v) : std::nullopt);
    }
    if (absl::Status s = on_row(values); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> DbSession::LoadDataLocal(absl::string_view, InfileReader) {
  return absl::UnimplementedError("LOAD DATA LOCAL needs a real database session");
}

absl::StatusOr<unsigned> DbSession::WarningCount() {
  return absl::UnimplementedError("warning count needs a real database session");
}

std::string QuoteIdentifier(absl::string_view name) { return mmresync::QuoteIdentifier(name); }

std::string QuoteString(DbSession& session, absl::string_view value) {
  return absl::StrCat("'", session.EscapeString(value), "'");
}

std::string QuoteStringList(DbSession& session, const std::vector<std::string>& values) {
  if (values.empty()) return "NULL";
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(QuoteString(session, v));
  return absl::StrJoin(quoted, ",");
}

}  // namespace mmresync::agent
