#include "tests/harness/cluster_suite.h"

#include <dirent.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {

RecoveryCluster* ClusterSuite::cluster_ = nullptr;
absl::Status* ClusterSuite::startup_error_ = new absl::Status();

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  closedir(d);
  return names;
}

void ClusterSuite::StartCluster(const RecoveryClusterOptions& options) {
  auto cluster = RecoveryCluster::Start(options);
  if (!cluster.ok()) {
    *startup_error_ = cluster.status();
    return;
  }
  if (absl::Status loaded = (*cluster)->LoadSampleData(); !loaded.ok()) {
    *startup_error_ = loaded;
    return;
  }
  cluster_ = cluster->release();
}

void ClusterSuite::TearDownTestSuite() {
  delete cluster_;
  cluster_ = nullptr;
}

void ClusterSuite::SetUp() {
  ASSERT_NE(cluster_, nullptr) << "cluster did not start: " << *startup_error_;
}

void ClusterSuite::ExpectHealthyOrRepair() {
  ASSERT_NE(cluster_, nullptr) << "cluster did not start: " << *startup_error_;
  absl::Status healthy = cluster_->CheckHealthy(absl::Seconds(30));
  if (healthy.ok()) return;
  ADD_FAILURE() << "pair unhealthy at the start of the case (an earlier case left it so): "
                << healthy << "; repairing";
  Repair();
  ASSERT_OK(cluster_->CheckHealthy(absl::Seconds(120)));
}

void ClusterSuite::Repair() {
  for (int node : {kDb1, kDb2}) (void)cluster_->agent(node).Restart();
  // A run the failed case left unfinished is finished, or given up: a new run over it
  // is refused.
  if (Cli({"recover", "--resume", "--yes"}).exit_code == 0) return;
  const std::string last = cluster_->LastJournalRunId();
  if (!last.empty()) (void)Cli({"recover", "--abandon", last});
  for (int node : {kDb1, kDb2}) {
    (void)pair().Exec(node, "SET GLOBAL read_only = OFF");
    (void)pair().Exec(node, "START SLAVE");
  }
  (void)Cli({"recover", "--source", "db1", "--yes", "--force"});
}

CliResult ClusterSuite::Cli(const std::vector<std::string>& args, absl::Duration timeout) {
  auto result = cluster_->Cli(args, timeout);
  if (!result.ok()) {
    ADD_FAILURE() << result.status();
    return CliResult{};
  }
  return *result;
}

absl::StatusOr<std::unique_ptr<CliProcess>> ClusterSuite::StartCli(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  std::vector<std::string> all = {"--config", cluster_->config_path()};
  all.insert(all.end(), args.begin(), args.end());
  return CliProcess::Start(all, env);
}

std::string ClusterSuite::Value(int node, const std::string& sql) {
  auto v = pair().QueryValue(node, sql);
  return v.ok() ? *v : absl::StrCat("<", v.status().ToString(), ">");
}

std::string ClusterSuite::Rows(int node, const std::string& sql) {
  auto rs = pair().Query(node, sql);
  if (!rs.ok()) return absl::StrCat("<", rs.status().ToString(), ">");
  std::vector<std::string> lines;
  for (const auto& row : rs->rows) {
    std::vector<std::string> cols;
    for (const auto& v : row) cols.push_back(v.has_value() ? *v : "NULL");
    lines.push_back(absl::StrJoin(cols, "|"));
  }
  return absl::StrJoin(lines, "\n");
}

std::map<std::string, std::string> ClusterSuite::Checksums(int node) {
  auto sums = pair().TableChecksums(node);
  EXPECT_TRUE(sums.ok()) << sums.status();
  return sums.ok() ? *sums : std::map<std::string, std::string>{};
}

size_t ClusterSuite::LogSize(int node) { return ReadFile(cluster_->agent(node).log_path()).size(); }

absl::Status ClusterSuite::WaitForLog(int node, size_t from, const std::string& needle,
                                      absl::Duration timeout) {
  const std::string path = cluster_->agent(node).log_path();
  return WaitForOk(
      [&]() -> absl::Status {
        std::string log = ReadFile(path);
        if (log.size() > from && absl::StrContains(log.substr(from), needle)) {
          return absl::OkStatus();
        }
        return absl::NotFoundError("not logged yet");
      },
      timeout, absl::Milliseconds(5), absl::StrCat("\"", needle, "\" in ", path));
}

absl::Status ClusterSuite::BreakWithDuplicateKey(int standby, int master, int id) {
  RETURN_IF_ERROR(pair().ExecAll(
      standby,
      {"SET SESSION sql_log_bin = 0",
       absl::StrCat("INSERT INTO shop.customers (id, name) VALUES (", id, ", 'standby only')")}));
  RETURN_IF_ERROR(pair().Exec(master, absl::StrCat("INSERT INTO shop.customers (id, name) VALUES (",
                                                   id, ", 'from master')")));
  return WaitForOk(
      [&]() -> absl::Status {
        auto s = pair().SlaveStatus(standby);
        if (!s.ok()) return s.status();
        if ((*s)["Last_SQL_Errno"] == "1062") return absl::OkStatus();
        return absl::UnavailableError(absl::StrCat("Last_SQL_Error: ", (*s)["Last_SQL_Error"]));
      },
      absl::Seconds(120), absl::Milliseconds(50), "the standby's SQL thread to stop with 1062");
}

void ClusterSuite::ExpectSourceWritableTargetFenced(const AckedWriter& writer) {
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster_->keepalived_running(kDb2));
  const int acked = writer.acked();
  EXPECT_OK(WaitUntil([&] { return writer.acked() > acked + 10; }, absl::Seconds(120),
                      absl::Milliseconds(5), "the source to keep taking writes"));
}

void ClusterSuite::ExpectEveryAckedRowOnceOnBoth(AckedWriter& writer, int first) {
  ASSERT_OK(writer.Stop());
  const int acked = writer.acked() - first + 1;
  ASSERT_OK(pair().WaitInSync(absl::Seconds(120)));
  const std::string count =
      absl::StrCat("SELECT COUNT(*), COUNT(DISTINCT id) FROM crm.acked WHERE id BETWEEN ", first,
                   " AND ", first + acked - 1);
  const std::string want = absl::StrCat(acked, "|", acked);
  EXPECT_EQ(Rows(kDb1, count), want);
  EXPECT_EQ(Rows(kDb2, count), want);
  EXPECT_EQ(Checksums(kDb1), Checksums(kDb2));
}

}  // namespace mmresync::testing
