#pragma once

// The base of the integration suites: one RecoveryCluster (two mariadbd, two agents)
// shared by a binary's cases, and the helpers every suite reads the pair with. A suite
// derives, starts the cluster in its own SetUpTestSuite with StartCluster(options), and
// gets the rest from here. Nothing here asserts what a case claims: it only reads.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cli.h"
#include "tests/harness/recovery_cluster.h"

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status assert_ok_status_ = (expr);          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_; \
  } while (0)

#define EXPECT_OK(expr)                                       \
  do {                                                        \
    const ::absl::Status expect_ok_status_ = (expr);          \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_; \
  } while (0)

namespace mmresync::testing {

inline constexpr int kDb1 = 0;
inline constexpr int kDb2 = 1;

std::string ReadFile(const std::string& path);
// The names in `dir` (without . and ..); empty when it cannot be read.
std::set<std::string> ListDir(const std::string& dir);

class ClusterSuite : public ::testing::Test {
 protected:
  // Starts the shared cluster with the sample data; a failure is reported by SetUp.
  static void StartCluster(const RecoveryClusterOptions& options);
  static void TearDownTestSuite();
  // Fails the case when the cluster did not start.
  void SetUp() override;
  // For a suite's SetUp: the pair must be healthy; if an earlier case left it otherwise,
  // that is reported once and the pair is repaired with the tool itself (Repair), so one
  // failure stays one failure.
  static void ExpectHealthyOrRepair();
  // Restarts both agents, finishes the last run (--resume) or gives it up (--abandon),
  // unfences both nodes and re-seeds db2 from db1.
  static void Repair();

  static RecoveryCluster& cluster() { return *cluster_; }
  static MasterMasterPair& pair() { return cluster_->pair(); }

  // `mmresync <args>` against the cluster's config, to its end (bounded by `timeout`).
  static CliResult Cli(const std::vector<std::string>& args,
                       absl::Duration timeout = absl::Seconds(600));
  // `mmresync <args>` in the background, to signal or wait for.
  // `env` is added to its environment (fault points).
  static absl::StatusOr<std::unique_ptr<CliProcess>> StartCli(
      const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

  // The first column of the first row, or "<error>".
  static std::string Value(int node, const std::string& sql);
  // The rows of `sql`, one line per row, columns joined by '|'.
  static std::string Rows(int node, const std::string& sql);
  static std::map<std::string, std::string> Checksums(int node);

  static size_t LogSize(int node);
  // Blocks until `needle` appears in agent `node`'s log after byte `from`.
  static absl::Status WaitForLog(int node, size_t from, const std::string& needle,
                                 absl::Duration timeout);
  // A row only `standby` has (not binlogged), then the same key on `master`: the
  // standby's SQL thread stops with 1062.
  static absl::Status BreakWithDuplicateKey(int standby, int master, int id);

  // For fault cases with an AckedWriter on db1 inserting into crm.acked (id, at):
  // what a failed or interrupted run must leave: db1 writable and still taking the
  // writer's rows, db2 read_only with keepalived stopped.
  static void ExpectSourceWritableTargetFenced(const AckedWriter& writer);
  // Stops `writer` (ids from `first`) and, once the pair is in sync, checks that every
  // acknowledged id is in crm.acked exactly once on both nodes and the checksums agree.
  static void ExpectEveryAckedRowOnceOnBoth(AckedWriter& writer, int first);

  static RecoveryCluster* cluster_;
  static absl::Status* startup_error_;
};

}  // namespace mmresync::testing
