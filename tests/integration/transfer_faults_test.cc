// Faults in the middle of the copy, for every transfer method: Ctrl-C and kill -9 of the
// coordinator, kill -9 of the target's and of the source's agent. Fault points place
// them: the source agent stops itself (SIGSTOP; or kills itself, in the source-agent
// case) once it has sent 16 MiB of the ~60 MiB, so the fault lands mid-part, and the
// target agent marks that it has imported 1 MiB (it is past the drop, loading), before
// the fault is injected into the real process.
// Throughout, a writer inserts numbered rows into the source and counts the acknowledged
// ones. After each fault: the source still takes writes, the target is still fenced
// (read_only, keepalived stopped), `recover --resume` completes, and every acknowledged
// row is on both nodes exactly once.

#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/mariadb_session.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/fault_points.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(120);

enum class Fault { kCtrlC, kKillCoordinator, kKillTargetAgent, kKillSourceAgent };

struct FaultCase {
  std::string method;
  Fault fault;
};

std::string FaultName(Fault f) {
  switch (f) {
    case Fault::kCtrlC:
      return "CtrlC";
    case Fault::kKillCoordinator:
      return "KillCoordinator";
    case Fault::kKillTargetAgent:
      return "KillTargetAgent";
    case Fault::kKillSourceAgent:
      return "KillSourceAgent";
  }
  return "?";
}

class TransferFaultTest : public ClusterSuite, public ::testing::WithParamInterface<FaultCase> {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.mariadb_service = true;  // the physical method restarts the target's mariadbd
    options.transfer_stall_seconds = 5;
    StartCluster(options);
    if (cluster_ == nullptr) return;
    // ~60 MiB in three tables: each takes the target a few seconds to load.
    std::vector<std::string> setup = {
        "CREATE DATABASE bulk",
        "CREATE TABLE crm.acked (id INT PRIMARY KEY, at DATETIME(6)) ENGINE=InnoDB"};
    for (int t = 0; t < 3; ++t) {
      setup.push_back(absl::StrCat("CREATE TABLE bulk.filler", t,
                                   " (id INT PRIMARY KEY, pad VARCHAR(200), n BIGINT, KEY (n))"
                                   " ENGINE=InnoDB"));
      setup.push_back(absl::StrCat("INSERT INTO bulk.filler", t,
                                   " SELECT seq, REPEAT(CHAR(65 + (seq + ", t,
                                   ") % 26), 150), seq * 7 FROM bulk.seq_1_to_120000"));
    }
    if (absl::Status s = pair().ExecAll(kDb1, setup); !s.ok()) {
      *startup_error_ = s;
      TearDownTestSuite();
      return;
    }
    if (absl::Status s = pair().WaitInSync(kTimeout); !s.ok()) {
      *startup_error_ = s;
      TearDownTestSuite();
    }
  }

  void SetUp() override {
    ClusterSuite::SetUp();
    ASSERT_OK(cluster().CheckHealthy(absl::Seconds(60)));
  }
};

TEST_P(TransferFaultTest, MidCopyFaultLeavesTheTargetFencedAndResumeCompletes) {
  const FaultCase c = GetParam();
  static int case_number = 0;
  const int first_id = ++case_number * 1000000;
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 950000 + case_number));
  AckedWriter writer(pair().node(kDb1).RootParams(), first_id, first_id + 900000, [](int id) {
    return absl::StrCat("INSERT INTO crm.acked (id, at) VALUES (", id, ", NOW(6))");
  });
  ASSERT_OK(WaitUntil([&] { return writer.acked() >= first_id + 10; }, kTimeout,
                      absl::Milliseconds(5), "the writer to get going"));
  const size_t target_log = LogSize(kDb2);
  const bool freeze = c.fault != Fault::kKillSourceAgent;
  FaultPoints faults(
      absl::StrCat(cluster().base_dir(), "/faults-", c.method, "-", FaultName(c.fault)));
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "target_stream:1048576=mark"));
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb1), freeze ? "source_stream:16777216=stop"
                                                          : "source_stream:16777216=kill"));
  const pid_t source_agent = cluster().agent(kDb1).pid();
  auto thaw = absl::MakeCleanup([&] {
    if (freeze) kill(source_agent, SIGCONT);
  });

  auto cli = StartCli({"recover", "--source", "db1", "--yes", "--method", c.method});
  ASSERT_OK(cli.status());
  absl::Status under_way = faults.WaitHit("source_stream", kTimeout);
  if (under_way.ok() && freeze) under_way = WaitStopped(source_agent, kTimeout);
  if (under_way.ok()) under_way = faults.WaitHit("target_stream", kTimeout);
  if (!under_way.ok()) {
    (*cli)->Signal(SIGKILL);
    auto r = (*cli)->Wait(absl::Seconds(30));
    FAIL() << under_way << "\n" << (r.ok() ? r->output() : r.status().ToString());
  }

  switch (c.fault) {
    case Fault::kCtrlC:
      (*cli)->Signal(SIGINT);
      break;
    case Fault::kKillCoordinator:
      (*cli)->Signal(SIGKILL);
      break;
    case Fault::kKillTargetAgent:
      ASSERT_OK(cluster().agent(kDb2).Kill());
      break;
    case Fault::kKillSourceAgent:
      break;  // it killed itself at the fault point
  }
  auto ended = (*cli)->Wait(absl::Seconds(120));
  ASSERT_OK(ended.status());
  EXPECT_NE(ended->exit_code, 0) << ended->Describe();
  if (c.fault != Fault::kKillCoordinator) {
    EXPECT_THAT(ended->output(), ::testing::HasSubstr("recover --resume")) << ended->Describe();
  }
  if (c.fault == Fault::kCtrlC || c.fault == Fault::kKillCoordinator) {
    // The target's agent ends its import although the source sends nothing more (it is
    // still frozen): a blocked import notices its cancellation by itself.
    absl::Status noticed = WaitForLog(kDb2, target_log, "WARN db2: import", absl::Seconds(15));
    EXPECT_TRUE(noticed.ok()) << noticed << "\n"
                              << ReadFile(cluster().agent(kDb2).log_path()).substr(target_log);
  }
  std::move(thaw).Invoke();
  ExpectSourceWritableTargetFenced(writer);

  if (c.fault == Fault::kKillTargetAgent) ASSERT_OK(cluster().agent(kDb2).Restart());
  if (c.fault == Fault::kKillSourceAgent) ASSERT_OK(cluster().agent(kDb1).Restart());
  CliResult resumed = Cli({"recover", "--resume", "--yes", "--method", c.method});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();

  ExpectEveryAckedRowOnceOnBoth(writer, first_id);
  EXPECT_EQ(Value(kDb2, absl::StrCat("SELECT name FROM shop.customers WHERE id = ",
                                     950000 + case_number)),
            "from master");
}

std::vector<FaultCase> AllCases() {
  std::vector<FaultCase> cases;
  for (const char* method : {"logical", "dump", "physical"}) {
    for (Fault f : {Fault::kCtrlC, Fault::kKillCoordinator, Fault::kKillTargetAgent,
                    Fault::kKillSourceAgent}) {
      cases.push_back({method, f});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, TransferFaultTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<FaultCase>& info) {
                           return absl::StrCat(info.param.method, "_", FaultName(info.param.fault));
                         });

}  // namespace
}  // namespace mmresync::testing
