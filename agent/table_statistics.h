#pragma once

// After a bulk load, InnoDB's persistent statistics still describe the empty table the
// schema part created: information_schema.TABLES then shows a freshly re-seeded node
// with a fraction of its source's size, which reads as data loss in `mmresync status`.
// A plain ANALYZE samples a few pages per index (innodb_stats_persistent_sample_pages)
// and records the index sizes, so the sizes compare again. Other engines keep exact
// sizes by themselves and are left alone (their ANALYZE reads whole indexes).

#include <string>

#include "absl/status/status.h"
#include "agent/db_session.h"

namespace mmresync::agent {

// Refreshes the statistics of `schema`.`table` when it is an InnoDB table; nothing is
// binlogged (NO_WRITE_TO_BINLOG). An error names the table and the server's message.
absl::Status RefreshTableStatistics(DbSession& session, const std::string& schema,
                                    const std::string& table);

// As RefreshTableStatistics after a load whose rows are in and checked: stale statistics
// only mislead `status` (and the optimizer until InnoDB recalculates them), so a failure
// is the operator's to see in the log, not a reason to fail a complete copy.
void RefreshStatisticsOrWarn(DbSession& session, const std::string& schema,
                             const std::string& table);

}  // namespace mmresync::agent
