#include "agent/backup_binlog_info.h"

#include <sys/stat.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "common/validate.h"

namespace mmresync::agent {

absl::StatusOr<v1::BinlogCoordinates> ParseBackupBinlogInfo(absl::string_view text) {
  absl::string_view line = absl::StripAsciiWhitespace(text);
  if (line.empty()) {
    return absl::DataLossError("binlog info of the backup is empty (was the binary log off?)");
  }
  if (line.find('\n') != absl::string_view::npos) {
    return absl::DataLossError("binlog info of the backup has more than one line");
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
  if (fields.size() < 2 || fields.size() > 3) {
    return absl::DataLossError(absl::StrCat("binlog info of the backup has ", fields.size(),
                                            " field(s), expected file, position[, gtid]"));
  }
  v1::BinlogCoordinates c;
  c.set_file(std::string(fields[0]));
  uint64_t pos = 0;
  if (!absl::SimpleAtoi(fields[1], &pos)) {
    return absl::DataLossError(
        absl::StrCat("binlog info of the backup: position \"", fields[1], "\" is not a number"));
  }
  c.set_position(pos);
  if (fields.size() == 3) c.set_gtid(std::string(absl::StripAsciiWhitespace(fields[2])));
  auto invalid = [](const absl::Status& s) {
    return absl::DataLossError(absl::StrCat("binlog info of the backup: ", s.message()));
  };
  if (absl::Status s = ValidateBinlogFile("file", c.file()); !s.ok()) return invalid(s);
  if (absl::Status s = ValidateBinlogPosition("position", c.position()); !s.ok()) {
    return invalid(s);
  }
  if (!c.gtid().empty()) {
    if (absl::Status s = ValidateGtidList("gtid", c.gtid()); !s.ok()) return invalid(s);
  }
  return c;
}

absl::StatusOr<v1::BinlogCoordinates> ReadBackupBinlogInfo(const std::string& dir) {
  for (const char* name : {kBinlogInfoFileNew, kBinlogInfoFile}) {
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) continue;
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    auto parsed = ParseBackupBinlogInfo(text);
    if (!parsed.ok()) return Annotate(parsed.status(), path);
    return parsed;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the backup in ", dir, " has neither ", kBinlogInfoFileNew, " nor ", kBinlogInfoFile,
      ": the source's binary log was off, so there are no "
      "coordinates to replicate from"));
}

}  // namespace mmresync::agent
