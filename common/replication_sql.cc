#include "common/replication_sql.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmresync {

bool UsesGtid(const ChangeMasterTarget& t) {
  return t.use_gtid == "slave_pos" || t.use_gtid == "current_pos";
}

ChangeMasterTarget ChangeMasterTargetOf(const v1::ChangeMasterRequest& r, const std::string& user) {
  ChangeMasterTarget target;
  target.host = r.master_host();
  target.port = r.master_port();
  target.user = user;
  target.log_file = r.coordinates().file();
  target.log_pos = r.coordinates().position();
  target.use_gtid = r.use_gtid();
  target.gtid_slave_pos = r.gtid_slave_pos();
  return target;
}

ChangeMasterStatements BuildChangeMaster(const ChangeMasterTarget& t,
                                         absl::string_view password_literal,
                                         absl::string_view log_pos_text) {
  ChangeMasterStatements out;
  out.stop = "STOP SLAVE";
  // File/position (MASTER_USE_GTID=no) works on every pair (5.5-era ones included); a pair
  // that replicated by GTID keeps doing so, from the @@gtid_slave_pos set just before
  // (MariaDB takes no file/position together with a GTID mode).
  if (UsesGtid(t)) {
    out.set_gtid_pos = absl::StrCat("SET GLOBAL gtid_slave_pos = '", t.gtid_slave_pos, "'");
  }
  std::string position =
      UsesGtid(t)
          ? absl::StrCat(", MASTER_USE_GTID=", t.use_gtid)
          : absl::StrCat(", MASTER_LOG_FILE='", t.log_file, "', MASTER_LOG_POS=",
                         log_pos_text.empty() ? absl::StrCat(t.log_pos) : std::string(log_pos_text),
                         ", MASTER_USE_GTID=no");
  out.change = absl::StrCat("CHANGE MASTER TO MASTER_HOST='", t.host, "', MASTER_PORT=", t.port,
                            ", MASTER_USER='", t.user, "', MASTER_PASSWORD=", password_literal,
                            position, ", MASTER_CONNECT_RETRY=5");
  return out;
}

std::string DescribeChangeMaster(const ChangeMasterTarget& target, absl::string_view log_pos_text) {
  ChangeMasterStatements s = BuildChangeMaster(target, "'***'", log_pos_text);
  std::vector<std::string> all = {s.stop};
  if (s.set_gtid_pos) all.push_back(*s.set_gtid_pos);
  all.push_back(s.change);
  return JoinStatements(all);
}

std::vector<std::string> StopReplicaStatements(bool reset) {
  std::vector<std::string> out = {"STOP SLAVE"};
  if (reset) out.push_back("RESET SLAVE");
  return out;
}

std::string SetReadOnlyStatement(bool read_only) {
  return read_only ? "SET GLOBAL read_only = ON" : "SET GLOBAL read_only = OFF";
}

std::string JoinStatements(const std::vector<std::string>& statements) {
  return absl::StrJoin(statements, "; ");
}

}  // namespace mmresync
