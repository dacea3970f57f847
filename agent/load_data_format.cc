#include "agent/load_data_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/reseed_sql.h"

namespace mmresync::agent {

void AppendLoadDataRow(const DbSession::RowValues& row, std::string* out) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back('\t');
    if (!row[i].has_value()) {
      out->append("\\N");
      continue;
    }
    const absl::string_view v = *row[i];
    size_t start = 0;
    for (size_t j = 0; j < v.size(); ++j) {
      char escaped;
      switch (v[j]) {
        case '\\':
          escaped = '\\';
          break;
        case '\t':
          escaped = 't';
          break;
        case '\n':
          escaped = 'n';
          break;
        case '\0':
          escaped = '0';
          break;
        default:
          continue;
      }
      out->append(v.data() + start, j - start);
      out->push_back('\\');
      out->push_back(escaped);
      start = j + 1;
    }
    out->append(v.data() + start, v.size() - start);
  }
  out->push_back('\n');
}

std::string SelectColumnsSql(const v1::TransferPart& part) {
  std::vector<std::string> cols;
  for (const auto& c : part.columns()) {
    cols.push_back(c.as_double() ? absl::StrCat("CAST(", QuoteIdentifier(c.name()), " AS DOUBLE)")
                                 : QuoteIdentifier(c.name()));
  }
  return absl::StrCat("SELECT ", absl::StrJoin(cols, ", "), " FROM ",
                      QuoteIdentifier(part.schema()), ".", QuoteIdentifier(part.table()));
}

std::string LoadDataSql(const v1::TransferPart& part) {
  std::vector<std::string> targets;
  std::vector<std::string> sets;
  for (int i = 0; i < part.columns_size(); ++i) {
    const v1::LoadColumn& c = part.columns(i);
    if (c.via_variable()) {
      std::string var = absl::StrCat("@mmr_", i);
      targets.push_back(var);
      sets.push_back(absl::StrCat(QuoteIdentifier(c.name()), " = CAST(", var, " AS BINARY)"));
    } else {
      targets.push_back(QuoteIdentifier(c.name()));
    }
  }
  return LoadDataStatement(part.schema(), part.table(), targets, sets);
}

}  // namespace mmresync::agent
