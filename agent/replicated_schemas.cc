#include "agent/replicated_schemas.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/node_facts.h"
#include "common/status_macros.h"

namespace mmresync::agent {

absl::StatusOr<SchemaFilter> SchemaFilter::FromFilters(const std::vector<std::string>& filters) {
  SchemaFilter f;
  std::vector<std::string> refused;
  for (const std::string& entry : filters) {
    std::pair<std::string, std::string> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    std::vector<std::string>* list = kv.first == "replicate_do_db"       ? &f.do_db_
                                     : kv.first == "replicate_ignore_db" ? &f.ignore_db_
                                                                         : nullptr;
    if (list == nullptr) {
      refused.push_back(entry);
      continue;
    }
    for (absl::string_view name : absl::StrSplit(kv.second, ',', absl::SkipWhitespace())) {
      list->emplace_back(absl::StripAsciiWhitespace(name));
    }
  }
  if (!refused.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "replication filters a re-seed by schema cannot honour: ", absl::StrJoin(refused, "; "),
        " (only replicate_do_db and replicate_ignore_db are honoured)"));
  }
  return f;
}

bool SchemaFilter::Carries(absl::string_view schema) const {
  auto in = [&](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), schema) != list.end();
  };
  if (!do_db_.empty()) return in(do_db_);
  return !in(ignore_db_);
}

std::string SchemaFilter::Describe() const {
  std::vector<std::string> parts;
  if (!do_db_.empty())
    parts.push_back(absl::StrCat("replicate_do_db=", absl::StrJoin(do_db_, ",")));
  if (!ignore_db_.empty()) {
    parts.push_back(absl::StrCat("replicate_ignore_db=", absl::StrJoin(ignore_db_, ",")));
  }
  return parts.empty() ? std::string("none") : absl::StrJoin(parts, "; ");
}

absl::StatusOr<SchemaFilter> ReadSchemaFilter(DbSession& session) {
  ASSIGN_OR_RETURN(std::vector<std::string> filters, ReplicationFilters(session));
  return SchemaFilter::FromFilters(filters);
}

absl::StatusOr<std::vector<std::string>> ListReplicatedSchemas(DbSession& session) {
  ASSIGN_OR_RETURN(SchemaFilter filter, ReadSchemaFilter(session));
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, ListUserSchemas(session));
  std::erase_if(schemas, [&](const std::string& s) { return !filter.Carries(s); });
  return schemas;
}

}  // namespace mmresync::agent
