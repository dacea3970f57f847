#pragma once

// The text format the logical method streams table rows in: LOAD DATA's default
// (fields separated by TAB, rows ended by LF, backslash escapes, \N for NULL), read by the
// target as CHARACTER SET binary so every byte arrives as the source stored it. The
// source reads rows with SET NAMES binary and time_zone '+00:00'; the target loads them
// with the same time zone.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "agent/db_session.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

// Appends one row, escaped, with its trailing LF.
void AppendLoadDataRow(const DbSession::RowValues& row, std::string* out);

// SELECT list for the columns of a table part: BIT columns are read as raw bytes like
// the rest, FLOAT columns as DOUBLE (exact text), generated columns are not in `columns`
// at all (the server computes them).
std::string SelectColumnsSql(const v1::TransferPart& part);

// LOAD DATA LOCAL INFILE for a table part: explicit column list (invisible columns
// included), BIT columns through a user variable cast back to binary.
std::string LoadDataSql(const v1::TransferPart& part);

}  // namespace mmresync::agent
