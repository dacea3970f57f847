// Runs that cannot collide or be misread, on real processes: a real mariadbd pair, real
// agents and the real `mmresync` CLI. One RecoveryCluster is shared by the cases; each
// starts from a healthy pair and leaves it healthy.
//
// - After kill -9 of the coordinator, the same refusal; --resume takes the run over.
// - Ctrl-C mid-run is reported as "interrupted by the operator" (exit 130) with each
//   node's state and the resume command; `status` shows the run in progress and then
//   the interrupted one; a plain `recover` is refused (exit 3) naming the run, its step,
//   each node and the exact resume command, which then completes the run and restores
//   the target's settings from before it.
// - `--resume` refuses option changes and runs with the recorded options.
// - `--abandon` gives a run up without unfencing anything; the next run restores the
//   target's settings from before the abandoned run.
// - A journal that cannot be written stops the run with the target fenced.
// - `verify` fails at once when a replication thread stopped with an error.
// - No password in the argv of the agents' children, read while they run.

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "mmresync/v1/journal.pb.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/cli.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/fault_points.h"
#include "tests/harness/recovery_cluster.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(120);

std::vector<v1::JournalEntry> Journal(const std::string& path) {
  std::vector<v1::JournalEntry> out;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    v1::JournalEntry e;
    if (google::protobuf::util::JsonStringToMessage(std::string(line), &e).ok()) out.push_back(e);
  }
  return out;
}

// The last journal record's run id, event and step.
v1::JournalEntry LastRecord(const std::string& path) {
  std::vector<v1::JournalEntry> j = Journal(path);
  return j.empty() ? v1::JournalEntry() : j.back();
}

// pid -> parent pid, for every process.
std::map<pid_t, pid_t> ParentPids() {
  std::map<pid_t, pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
    pid_t ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid)) out[pid] = ppid;
  }
  closedir(d);
  return out;
}

// The command lines (NULs as spaces) of every descendant of `root` running now.
std::vector<std::string> DescendantCmdlines(pid_t root) {
  std::map<pid_t, pid_t> parents = ParentPids();
  std::vector<std::string> out;
  for (const auto& [pid, ppid] : parents) {
    pid_t up = ppid;
    for (int depth = 0; depth < 16 && up > 1 && up != root; ++depth) {
      auto it = parents.find(up);
      up = it == parents.end() ? 0 : it->second;
    }
    if (up != root) continue;
    std::string cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (!cmdline.empty()) out.push_back(cmdline);
  }
  return out;
}

// A wrapper for an agent's [mariadb] command that holds every run of it at its start
// until `<gate>.go` exists (bounded): `<gate>.waiting` appears when one got there.
absl::Status WriteGateWrapper(const std::string& gate, const std::string& real) {
  return WriteFileAtomically(
      gate + ".sh",
      absl::StrCat("#!/bin/sh\n: > '", gate, ".waiting'\n", "i=0; while [ ! -e '", gate,
                   ".go' ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done\n", "exec ", real,
                   " \"$@\"\n"),
      0755);
}

class RunsTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    StartCluster(options);
  }

  void SetUp() override { ExpectHealthyOrRepair(); }

  // A view on db1 whose table is gone (unlogged): the transfer from db1 fails,
  // deterministically, after the target was fenced and backed up. FixImport undoes it.
  static absl::Status BreakImport() {
    return pair().ExecAll(
        kDb1, {"SET SESSION sql_log_bin = 0", "CREATE DATABASE zz_broken",
               "CREATE TABLE zz_broken.t (id INT PRIMARY KEY)",
               "CREATE VIEW zz_broken.v AS SELECT id FROM zz_broken.t", "DROP TABLE zz_broken.t"});
  }
  static absl::Status FixImport() {
    return pair().ExecAll(kDb1, {"SET SESSION sql_log_bin = 0", "DROP DATABASE zz_broken"});
  }

  // Restarts `node`'s agent with [mariadb] `which` ("client" or "dump") held by a gate.
  static absl::Status HoldCommand(int node, const std::string& which, const std::string& gate) {
    RETURN_IF_ERROR(WriteGateWrapper(gate, which == "client" ? "mariadb" : "mariadb-dump"));
    AgentProcess& agent = cluster().agent(node);
    RETURN_IF_ERROR(agent.Stop());
    (which == "client" ? agent.mutable_options().client_command
                       : agent.mutable_options().dump_command) = gate + ".sh";
    return agent.Restart();
  }
  static void ReleaseCommands(int node) {
    AgentProcess& agent = cluster().agent(node);
    EXPECT_TRUE(agent.Stop().ok());
    agent.mutable_options().client_command.clear();
    agent.mutable_options().dump_command.clear();
    EXPECT_TRUE(agent.Restart().ok());
  }

  static google::protobuf::Struct Json(const std::string& text) {
    google::protobuf::Struct parsed;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &parsed).ok()) << text;
    return parsed;
  }
};

// The collision of the issue: after a Ctrl-C mid-import, a plain `recover --yes` is
// refused naming the run and the resume command; that command completes the run, and
// the target ends with its settings from before the run (read_only=OFF, keepalived
// running), not those the interrupted run left (ON, stopped).
TEST_F(RunsTest, AfterCtrlCAPlainRecoverIsRefusedAndThePrintedResumeCommandCompletes) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910001));
  const std::string gate = cluster().base_dir() + "/gate-ctrlc";
  ASSERT_OK(HoldCommand(kDb2, "client", gate));
  auto release = absl::MakeCleanup([&] { ReleaseCommands(kDb2); });
  const size_t agent_log_before = ReadFile(cluster().agent(kDb2).log_path()).size();

  auto cli = CliProcess::Start(
      {"--config", cluster().config_path(), "recover", "--source", "db1", "--yes"});
  ASSERT_OK(cli.status());
  // Polled, not slept: the import is held at its start, and the journal shows its step.
  ASSERT_OK(WaitUntil(
      [&] {
        v1::JournalEntry last = LastRecord(cluster().journal_path());
        return access((gate + ".waiting").c_str(), F_OK) == 0 && last.event() == "step-start" &&
               last.step() == "stream-import";
      },
      kTimeout, absl::Milliseconds(50), "the run to stand in stream-import"));
  const std::string run_id = LastRecord(cluster().journal_path()).run_id();
  ASSERT_FALSE(run_id.empty());

  // status shows the run in progress: holder, step, for how long.
  CliResult running = Cli({"status"});
  EXPECT_TRUE(absl::StrContains(running.out, absl::StrCat("run: ", run_id,
                                                          " IN PROGRESS at step "
                                                          "stream-import, for ")))
      << running.Describe();
  EXPECT_TRUE(absl::StrContains(running.out, "lease expires in")) << running.Describe();
  CliResult running_json = Cli({"status", "--json"});
  {
    google::protobuf::Struct s = Json(running_json.out);
    const auto& run = s.fields().at("run").struct_value().fields();
    EXPECT_EQ(run.at("id").string_value(), run_id);
    EXPECT_EQ(run.at("state").string_value(), "running");
    EXPECT_EQ(run.at("step").string_value(), "stream-import");
    EXPECT_EQ(run.at("holder").struct_value().fields().at("pid").number_value(),
              static_cast<double>((*cli)->pid()))
        << running_json.out;
  }
  // A second plain recover while it runs is refused too, naming the holder.
  CliResult second = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(second.exit_code, 3) << second.Describe();
  EXPECT_TRUE(absl::StrContains(second.err, absl::StrCat("run ", run_id, " is in progress")))
      << second.Describe();

  (*cli)->Signal(SIGINT);
  auto interrupted = (*cli)->Wait(absl::Seconds(120));
  ASSERT_OK(interrupted.status());
  EXPECT_EQ(interrupted->exit_code, 130) << interrupted->Describe();
  EXPECT_TRUE(
      absl::StrContains(interrupted->output(), "interrupted by the operator at step stream-import"))
      << interrupted->Describe();
  const std::string resume_command =
      absl::StrCat("mmresync recover --resume --config ", cluster().config_path());
  EXPECT_TRUE(absl::StrContains(interrupted->output(), resume_command)) << interrupted->Describe();
  EXPECT_TRUE(absl::StrContains(interrupted->output(), "db2: read_only=ON, keepalived stopped"))
      << interrupted->Describe();
  EXPECT_TRUE(absl::StrContains(interrupted->output(), "db1: read_only=OFF, keepalived running"))
      << interrupted->Describe();
  EXPECT_EQ(LastRecord(cluster().journal_path()).event(), "run-interrupted");

  // The agent ends the cancelled import once its client runs.
  ASSERT_OK(WriteFileAtomically(gate + ".go", "", 0600));
  ASSERT_OK(WaitUntil(
      [&] {
        const std::string log = ReadFile(cluster().agent(kDb2).log_path());
        return log.size() > agent_log_before &&
               absl::StrContains(log.substr(agent_log_before), "WARN db2: import");
      },
      kTimeout, absl::Milliseconds(50), "db2's agent to end the cancelled import"));
  std::move(release).Invoke();

  // status: the interrupted run and how to resume it, in text and JSON.
  CliResult status = Cli({"status"});
  EXPECT_TRUE(absl::StrContains(
      status.out, absl::StrCat("run: ", run_id,
                               " UNFINISHED (interrupted by the operator at step stream-import")))
      << status.Describe();
  EXPECT_TRUE(absl::StrContains(status.out, "resume it:  " + resume_command)) << status.Describe();
  CliResult status_json = Cli({"status", "--json"});
  {
    google::protobuf::Struct s = Json(status_json.out);
    const auto& run = s.fields().at("run").struct_value().fields();
    EXPECT_EQ(run.at("state").string_value(), "interrupted") << status_json.out;
    EXPECT_EQ(run.at("resume_command").string_value(), resume_command) << status_json.out;
  }

  // A plain recover (and with --force) is refused, names the run, its step, each node
  // and the exact resume command, and changes nothing.
  const size_t journal_size = ReadFile(cluster().journal_path()).size();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"recover", "--yes"},
        std::vector<std::string>{"recover", "--source", "db1", "--yes", "--force"}}) {
    CliResult refused = Cli(args);
    EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
    EXPECT_TRUE(
        absl::StrContains(refused.err, absl::StrCat("refused, nothing was changed: run ", run_id,
                                                    " is unfinished at step "
                                                    "stream-import")))
        << refused.Describe();
    EXPECT_TRUE(absl::StrContains(refused.err, "db2: read_only=ON, keepalived stopped"))
        << refused.Describe();
    EXPECT_TRUE(absl::StrContains(refused.err, "db1: read_only=OFF")) << refused.Describe();
    EXPECT_TRUE(
        absl::StrContains(refused.err, "before the run: db2 read_only=OFF, keepalived running"))
        << refused.Describe();
    EXPECT_TRUE(absl::StrContains(refused.err, "resume it with:\n  " + resume_command + "\n"))
        << refused.Describe();
    EXPECT_TRUE(absl::StrContains(refused.err, "mmresync recover --abandon " + run_id))
        << refused.Describe();
  }
  EXPECT_EQ(ReadFile(cluster().journal_path()).size(), journal_size);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));

  // The printed command, as printed (plus --yes: not a terminal), completes the run.
  std::vector<std::string> args = absl::StrSplit(resume_command, ' ');
  args.erase(args.begin());  // "mmresync"
  args.push_back("--yes");
  auto resumed = RunCli(args);
  ASSERT_OK(resumed.status());
  ASSERT_EQ(resumed->exit_code, 0) << resumed->Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910001"), "from master");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
  CliResult after = Cli({"status", "--json"});
  EXPECT_TRUE(Json(after.out).fields().at("run").has_null_value()) << after.out;
}

// The same after kill -9 of the coordinator: its lease is still live on the agents, but
// its process is provably gone (same host, pid dead), so the run is reported unfinished
// (not in progress) with the resume command, which then takes the run over. The kill is
// a fault point: right after the import, before its "done" record.
TEST_F(RunsTest, AfterKill9APlainRecoverIsRefusedAndResumeTakesTheRunOver) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910009));
  FaultPoints faults(cluster().base_dir() + "/faults-kill9");
  auto cli =
      StartCli({"recover", "--source", "db1", "--yes"}, faults.Env("step_ran:stream-import=kill"));
  ASSERT_OK(cli.status());
  auto killed = (*cli)->Wait(kTimeout);
  ASSERT_OK(killed.status());
  ASSERT_TRUE(faults.Hit("step_ran:stream-import")) << killed->Describe();
  ASSERT_EQ(killed->exit_code, 128 + SIGKILL) << killed->Describe();
  const std::string run_id = LastRecord(cluster().journal_path()).run_id();
  EXPECT_EQ(LastRecord(cluster().journal_path()).event(), "step-start");

  CliResult refused = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_TRUE(absl::StrContains(
      refused.err, absl::StrCat("run ", run_id, " is unfinished at step stream-import")))
      << refused.Describe();
  EXPECT_TRUE(absl::StrContains(refused.err,
                                "mmresync recover --resume --config " + cluster().config_path()))
      << refused.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  CliResult status = Cli({"status"});
  EXPECT_TRUE(absl::StrContains(status.out, absl::StrCat("run: ", run_id, " UNFINISHED")))
      << status.Describe();

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_TRUE(absl::StrContains(resumed.err, "took over run " + run_id)) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
}

// Ctrl-C after the leases were taken but before the run started: nothing changed, and
// the leases are given back at once (not left live for up to a minute, refusing every
// other run), so the next recover starts right away.
TEST_F(RunsTest, CtrlCWhileTakingTheLeasesGivesThemBackAndChangesNothing) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910011));
  const std::string journal_before = ReadFile(cluster().journal_path());
  FaultPoints faults(cluster().base_dir() + "/faults-ctrlc-leases");
  auto cli = StartCli({"recover", "--source", "db1", "--yes"}, faults.Env("leases_taken=pause"));
  ASSERT_OK(cli.status());
  ASSERT_OK(faults.WaitHit("leases_taken", kTimeout));
  CliResult held = Cli({"status", "--json"});
  const google::protobuf::Struct held_json = Json(held.out);
  for (const auto& node : held_json.fields().at("nodes").list_value().values()) {
    EXPECT_NE(node.struct_value().fields().at("lease_holder").string_value(), "") << held.out;
  }
  (*cli)->Signal(SIGINT);
  // Taken by the CLI's signal thread while its main thread is paused at the point.
  ASSERT_OK(WaitUntil(
      [&] { return absl::StrContains((*cli)->err_tail(), "interrupted; giving back the leases"); },
      kTimeout, absl::Milliseconds(50), "the CLI to take the Ctrl-C"));
  ASSERT_OK(faults.Release("leases_taken"));
  auto interrupted = (*cli)->Wait(kTimeout);
  ASSERT_OK(interrupted.status());
  EXPECT_EQ(interrupted->exit_code, 130) << interrupted->Describe();
  EXPECT_TRUE(absl::StrContains(interrupted->output(), "leases given back, nothing was changed"))
      << interrupted->Describe();
  CliResult status = Cli({"status", "--json"});
  const google::protobuf::Struct status_json = Json(status.out);
  for (const auto& node : status_json.fields().at("nodes").list_value().values()) {
    EXPECT_EQ(node.struct_value().fields().at("lease_holder").string_value(), "") << status.out;
  }
  EXPECT_EQ(ReadFile(cluster().journal_path()), journal_before) << "a run was journaled";
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));

  CliResult next = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(next.exit_code, 0) << next.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// Abandoning a killed coordinator's run also lets go of the lease it left on the agents
// (its process is provably gone), so the next run starts at once instead of being
// refused until the lease expires; the target stays fenced until that run unfences it.
TEST_F(RunsTest, AbandoningAKilledCoordinatorsRunReleasesItsLeaseForTheNextRun) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910010));
  const std::string gate = cluster().base_dir() + "/gate-kill9-abandon";
  ASSERT_OK(HoldCommand(kDb2, "client", gate));
  auto release = absl::MakeCleanup([&] { ReleaseCommands(kDb2); });
  auto cli = CliProcess::Start(
      {"--config", cluster().config_path(), "recover", "--source", "db1", "--yes"});
  ASSERT_OK(cli.status());
  ASSERT_OK(WaitUntil(
      [&] {
        v1::JournalEntry last = LastRecord(cluster().journal_path());
        return access((gate + ".waiting").c_str(), F_OK) == 0 && last.step() == "stream-import";
      },
      kTimeout, absl::Milliseconds(50), "the run to stand in stream-import"));
  const std::string run_id = LastRecord(cluster().journal_path()).run_id();
  (*cli)->Signal(SIGKILL);
  ASSERT_OK((*cli)->Wait(absl::Seconds(60)).status());

  CliResult abandoned = Cli({"recover", "--abandon", run_id});
  ASSERT_EQ(abandoned.exit_code, 0) << abandoned.Describe();
  EXPECT_TRUE(absl::StrContains(abandoned.out, "was released on db1 and db2"))
      << abandoned.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  CliResult status = Cli({"status", "--json"});
  const google::protobuf::Struct parsed = Json(status.out);
  for (const auto& node : parsed.fields().at("nodes").list_value().values()) {
    EXPECT_EQ(node.struct_value().fields().at("lease_holder").string_value(), "") << status.out;
  }
  ASSERT_OK(WriteFileAtomically(gate + ".go", "", 0600));
  std::move(release).Invoke();

  CliResult next = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(next.exit_code, 0) << next.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910010"), "from master");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
}

// --resume continues with the recorded options: a change is refused (exit 2) naming it,
// and the run goes on with the method it was started with.
TEST_F(RunsTest, ResumeRefusesOptionChangesAndUsesTheRecordedOptions) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910002));
  ASSERT_OK(BreakImport());
  auto fix = absl::MakeCleanup([] { (void)FixImport(); });
  CliResult failed = Cli({"recover", "--source", "db1", "--yes", "--method", "dump"});
  ASSERT_EQ(failed.exit_code, 1) << failed.Describe();
  const std::string run_id = LastRecord(cluster().journal_path()).run_id();
  ASSERT_OK(FixImport());

  const size_t journal_size = ReadFile(cluster().journal_path()).size();
  for (const std::vector<std::string>& change :
       {std::vector<std::string>{"--skip-backup"},
        std::vector<std::string>{"--discard-target-writes"},
        std::vector<std::string>{"--method", "logical"},
        std::vector<std::string>{"--backup", "dump"}}) {
    std::vector<std::string> args = {"recover", "--resume", "--yes"};
    args.insert(args.end(), change.begin(), change.end());
    CliResult refused = Cli(args);
    EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
    EXPECT_TRUE(absl::StrContains(refused.err, absl::StrCat("--resume continues run ", run_id,
                                                            " with the options it was started "
                                                            "with; these differ: ",
                                                            change[0])))
        << refused.Describe();
  }
  EXPECT_EQ(ReadFile(cluster().journal_path()).size(), journal_size) << "a refused resume ran";
  // The same option again is fine; the run's method is dump (auto would take logical).
  CliResult resumed = Cli({"recover", "--resume", "--yes", "--method", "dump"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_TRUE(absl::StrContains(resumed.out, "(method dump)")) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// Abandoning changes nothing on the nodes: the target stays fenced. The next run then
// restores the target's settings from before the abandoned run, not the fenced ones.
TEST_F(RunsTest, AbandonKeepsTheTargetFencedAndTheNextRunRestoresItsOriginalSettings) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910003));
  ASSERT_OK(BreakImport());
  auto fix = absl::MakeCleanup([] { (void)FixImport(); });
  CliResult failed = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(failed.exit_code, 1) << failed.Describe();
  const std::string run_id = LastRecord(cluster().journal_path()).run_id();
  ASSERT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");

  CliResult wrong = Cli({"recover", "--abandon", "20000101T000000-000000"});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.Describe();
  EXPECT_TRUE(absl::StrContains(wrong.err, "its last run is " + run_id)) << wrong.Describe();

  CliResult abandoned = Cli({"recover", "--abandon", run_id});
  ASSERT_EQ(abandoned.exit_code, 0) << abandoned.Describe();
  EXPECT_TRUE(absl::StrContains(abandoned.out, "run " + run_id + " abandoned"))
      << abandoned.Describe();
  EXPECT_TRUE(absl::StrContains(abandoned.out, "db2: read_only=ON, keepalived stopped"))
      << abandoned.Describe();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(LastRecord(cluster().journal_path()).event(), "run-abandoned");
  CliResult nothing = Cli({"recover", "--resume", "--yes"});
  EXPECT_EQ(nothing.exit_code, 2) << nothing.Describe();
  EXPECT_TRUE(absl::StrContains(nothing.err, "was abandoned")) << nothing.Describe();

  // The abandoned run parked db2's tables: its restore script stays db2's backup, and
  // the next run takes none of what the run left (a schema-only dump of views whose
  // tables are parked would fail anyway).
  const std::set<std::string> backups_before = ListDir(cluster().agent(kDb2).backup_dir());
  ASSERT_TRUE(backups_before.count(run_id + ".sql")) << "the abandoned run's backup is gone";
  ASSERT_OK(FixImport());
  CliResult plan = Cli({"plan", "--source", "db1"});
  EXPECT_EQ(plan.exit_code, 0) << plan.Describe();
  EXPECT_TRUE(
      absl::StrContains(plan.out, "No backup step: the backup of the abandoned run " + run_id))
      << plan.Describe();
  CliResult next = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(next.exit_code, 0) << next.Describe();
  EXPECT_TRUE(absl::StrContains(next.out, "run " + run_id + " was abandoned with db2 fenced"))
      << next.Describe();
  EXPECT_TRUE(absl::StrContains(next.out, "the backup of the abandoned run " + run_id))
      << next.Describe();
  EXPECT_EQ(ListDir(cluster().agent(kDb2).backup_dir()), backups_before);
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  EXPECT_TRUE(cluster().keepalived_running(kDb2));
}

// The journal is the commit point: when the import's "done" cannot be written, the run
// stops there (no phase 1), the target stays fenced, and --resume completes it once the
// journal is writable again.
TEST_F(RunsTest, AJournalThatCannotBeWrittenStopsTheRunWithTheTargetFenced) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910004));
  const std::string journal = cluster().journal_path();
  // The coordinator waits right after the import, before its "done" record.
  FaultPoints faults(cluster().base_dir() + "/faults-journal");
  auto cli =
      StartCli({"recover", "--source", "db1", "--yes"}, faults.Env("step_ran:stream-import=pause"));
  ASSERT_OK(cli.status());
  ASSERT_OK(faults.WaitHit("step_ran:stream-import", kTimeout));
  // A directory where the journal file was: every append fails (for root too).
  ASSERT_EQ(std::rename(journal.c_str(), (journal + ".saved").c_str()), 0);
  ASSERT_EQ(mkdir(journal.c_str(), 0700), 0);
  auto restore = absl::MakeCleanup([&] {
    rmdir(journal.c_str());
    std::rename((journal + ".saved").c_str(), journal.c_str());
  });
  ASSERT_OK(faults.Release("step_ran:stream-import"));
  auto stopped = (*cli)->Wait(absl::Seconds(300));
  ASSERT_OK(stopped.status());
  EXPECT_EQ(stopped->exit_code, 1) << stopped->Describe();
  EXPECT_TRUE(absl::StrContains(stopped->output(),
                                "step stream-import finished, but the journal could not record it"))
      << stopped->Describe();
  EXPECT_TRUE(absl::StrContains(stopped->output(), "db2 (target): fenced")) << stopped->Describe();
  // Phase 1 never ran: db2 does not replicate from db1, and it stays fenced.
  auto replica = pair().SlaveStatus(kDb2);
  ASSERT_OK(replica.status());
  EXPECT_NE((*replica)["Slave_SQL_Running"], "Yes");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");

  std::move(restore).Invoke();
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910004"), "from master");
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
}

// A stopped SQL thread never catches up: verify says so at once, with the server's error,
// instead of waiting out --timeout.
TEST_F(RunsTest, VerifyFailsAtOnceWhenAReplicationThreadStoppedWithAnError) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910005));
  const absl::Time began = absl::Now();
  CliResult verify = Cli({"verify", "--timeout", "600"});
  const absl::Duration took = absl::Now() - began;
  EXPECT_EQ(verify.exit_code, 1) << verify.Describe();
  EXPECT_TRUE(absl::StrContains(verify.err, "db2: replication SQL thread stopped with error 1062"))
      << verify.Describe();
  EXPECT_TRUE(absl::StrContains(verify.err, "Duplicate entry")) << verify.Describe();
  EXPECT_LT(took, absl::Seconds(60)) << verify.Describe();
  // --timeout is honoured when nothing stopped: a healthy pair verifies within it.
  CliResult bad = Cli({"verify", "--timeout", "0"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();

  CliResult recover = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  CliResult equal = Cli({"verify", "--timeout", "60"});
  EXPECT_EQ(equal.exit_code, 0) << equal.Describe();
}

// The run restores what it changed to what it was before: keepalived stopped on the
// target before the run (by someone, for a reason) is not started at the end.
TEST_F(RunsTest, KeepalivedStoppedOnTheTargetBeforeTheRunIsLeftStopped) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910007));
  ASSERT_EQ(unlink(cluster().keepalived_marker(kDb2).c_str()), 0);
  auto restart = absl::MakeCleanup(
      [] { EXPECT_TRUE(WriteFileAtomically(cluster().keepalived_marker(kDb2), "", 0600).ok()); });
  CliResult recover = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(recover.exit_code, 0) << recover.Describe();
  EXPECT_TRUE(absl::StrContains(recover.out, "keepalived left stopped on db2, as it was before"))
      << recover.Describe();
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// A replica thread that stops with an error fails the phase at once, with the server's
// error, instead of waiting out the replica wait (120 s): here db1 is given db2's
// server_id while the import is held, so phase 1's IO thread stops at once (equal
// server ids). Once that is undone, --resume completes the run.
TEST_F(RunsTest, PhaseOneFailsAtOnceWhenTheReplicaStopsWithAnError) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910008));
  const std::string gate = cluster().base_dir() + "/gate-server-id";
  ASSERT_OK(HoldCommand(kDb2, "client", gate));
  auto release = absl::MakeCleanup([&] { ReleaseCommands(kDb2); });
  auto server_id = absl::MakeCleanup([] { (void)pair().Exec(kDb1, "SET GLOBAL server_id = 1"); });
  auto cli = CliProcess::Start(
      {"--config", cluster().config_path(), "recover", "--source", "db1", "--yes"});
  ASSERT_OK(cli.status());
  ASSERT_OK(WaitUntil([&] { return access((gate + ".waiting").c_str(), F_OK) == 0; }, kTimeout,
                      absl::Milliseconds(50), "the import to start"));
  ASSERT_OK(pair().Exec(kDb1, "SET GLOBAL server_id = 2"));
  ASSERT_OK(WriteFileAtomically(gate + ".go", "", 0600));
  const absl::Time released = absl::Now();
  auto failed = (*cli)->Wait(absl::Seconds(300));
  ASSERT_OK(failed.status());
  const absl::Duration took = absl::Now() - released;
  EXPECT_EQ(failed->exit_code, 1) << failed->Describe();
  EXPECT_TRUE(absl::StrContains(failed->output(), "recover failed at step phase1"))
      << failed->Describe();
  EXPECT_TRUE(absl::StrContains(failed->output(), "db2: replication IO thread stopped with error "))
      << failed->Describe();
  EXPECT_LT(took, absl::Seconds(60)) << failed->Describe();
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");

  std::move(server_id).Invoke();
  std::move(release).Invoke();
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 910008"), "from master");
}

// Passwords never in a child's argv: read from /proc/<pid>/cmdline of the agents'
// mariadb-dump and mariadb children while they run (each held at its start), not from
// the agent's own command line.
TEST_F(RunsTest, NoPasswordInTheArgvOfTheAgentsChildrenWhileTheyRun) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 910006));
  const std::string dump_gate = cluster().base_dir() + "/gate-argv-dump";
  const std::string client_gate = cluster().base_dir() + "/gate-argv-client";
  ASSERT_OK(HoldCommand(kDb1, "dump", dump_gate));
  auto release1 = absl::MakeCleanup([&] { ReleaseCommands(kDb1); });
  ASSERT_OK(HoldCommand(kDb2, "client", client_gate));
  auto release2 = absl::MakeCleanup([&] { ReleaseCommands(kDb2); });

  auto cli = CliProcess::Start({"--config", cluster().config_path(), "recover", "--source", "db1",
                                "--yes", "--method", "dump"});
  ASSERT_OK(cli.status());
  auto check = [&](int node, const std::string& gate, const std::string& what) {
    ASSERT_OK(WaitUntil([&] { return access((gate + ".waiting").c_str(), F_OK) == 0; }, kTimeout,
                        absl::Milliseconds(20), what + " to start"));
    std::vector<std::string> argvs = DescendantCmdlines(cluster().agent(node).pid());
    bool seen = false;
    for (const std::string& argv : argvs) {
      seen |= absl::StrContains(argv, gate + ".sh") && absl::StrContains(argv, "--defaults-file=");
      for (const std::string& secret : cluster().secrets()) {
        EXPECT_FALSE(absl::StrContains(argv, secret)) << "a password in the argv: " << argv;
      }
    }
    EXPECT_TRUE(seen) << what << " not among the agent's children: " << absl::StrJoin(argvs, "\n");
    ASSERT_OK(WriteFileAtomically(gate + ".go", "", 0600));
  };
  check(kDb1, dump_gate, "db1's mariadb-dump");
  check(kDb2, client_gate, "db2's mariadb import");
  auto finished = (*cli)->Wait(absl::Seconds(300));
  ASSERT_OK(finished.status());
  EXPECT_EQ(finished->exit_code, 0) << finished->Describe();
  std::move(release1).Invoke();
  std::move(release2).Invoke();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

}  // namespace
}  // namespace mmresync::testing
