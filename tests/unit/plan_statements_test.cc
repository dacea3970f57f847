// The transfer steps' plan text comes from the builders the agent runs: DROP DATABASE of
// the target's schemas, the park backup, the logical snapshot session, LOAD DATA, the
// physical swap and delta's statements. Where the agent's own function can run against a
// scripted session, the plan line is compared with what it executes; elsewhere with the
// shared builder for the same inputs. Also: the import request the step sends is the one
// the plan describes, and each step says what it does to the pair (StepEffect).

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/load_data_format.h"
#include "agent/schema_reset.h"
#include "common/delta_sizing.h"
#include "common/physical_layout.h"
#include "common/replication_sql.h"
#include "common/reseed_sql.h"
#include "common/tool_argv.h"
#include "coordinator/agent_requests.h"
#include "coordinator/transfer_steps.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/pair_fixture.h"
#include "tests/unit/recording_agent.h"

namespace mmresync::coordinator {
namespace {

using agent::fakes::FakeDbScript;
using agent::fakes::FakeDbSession;
using agent::fakes::Rows;
using fakes::NullSink;
using fakes::RecordingAgent;
using ::testing::HasSubstr;

// The statements (not the queries) agent::DropUserSchemas runs on a node whose
// replicated user schemas are `schemas`, joined as a plan joins them.
std::string AgentDrops(const std::vector<std::string>& schemas) {
  FakeDbScript script;
  std::vector<std::vector<std::optional<std::string>>> rows = {{"mysql"}, {"sys"}};
  for (const std::string& s : schemas) rows.push_back({s});
  script.OnQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA",
                 Rows({"SCHEMA_NAME"}, rows));
  FakeDbSession session(&script);
  auto dropped = agent::DropUserSchemas(session);
  EXPECT_TRUE(dropped.ok()) << dropped.status();
  std::vector<std::string> executed;
  for (const std::string& sql : script.statements()) {
    if (absl::StartsWith(sql, "SELECT ") || absl::StartsWith(sql, "SHOW ")) continue;
    executed.push_back(sql);
  }
  return JoinStatements(executed);
}

class PlanStatementsTest : public ::testing::Test {
 protected:
  PlanStatementsTest() : in_(testing_util::PairInputs(config_)) {
    in_.view.nodes[1].status->add_schemas()->set_name("we`ird");
  }

  void Method(const std::string& expected) {
    in_.method.requested = expected;
    in_.method.method = expected;
    in_.method.expected = expected;
  }

  // The plan's line of `step` that holds `what`.
  static std::string Line(const Step& step, const std::string& what) {
    for (const std::string& a : step.actions) {
      if (absl::StrContains(a, what)) return a;
    }
    ADD_FAILURE() << "no plan line with " << what << " in " << step.id;
    return "";
  }

  ClusterConfig config_;
  PlanInputs in_;
};

TEST_F(PlanStatementsTest, LogicalDropIsWhatTheAgentDropsForTheTargetsSchemas) {
  Method("logical");
  EXPECT_EQ(Line(StreamImportStep(in_), "DROP DATABASE"),
            "db2: re-check the fence, then " + AgentDrops({"shop_stale", "we`ird"}));
}

TEST_F(PlanStatementsTest, DumpDropIsWhatTheAgentDropsForTheTargetsSchemas) {
  Method("dump");
  EXPECT_EQ(Line(StreamImportStep(in_), "DROP DATABASE"),
            "db2: after the first bytes arrive: " + AgentDrops({"shop_stale", "we`ird"}));
}

TEST_F(PlanStatementsTest, LoadDataLineIsTheAgentsStatementForAPart) {
  Method("logical");
  const std::string line = Line(StreamImportStep(in_), "LOAD DATA");
  EXPECT_THAT(line, HasSubstr(JoinStatements(LoaderSessionStatements())));
  // The agent's LOAD DATA of a part of `<schema>`.`<table>` with columns a and b is the
  // plan's, its column placeholder filled in.
  v1::TransferPart part;
  part.set_schema("<schema>");
  part.set_table("<table>");
  part.add_columns()->set_name("a");
  part.add_columns()->set_name("b");
  EXPECT_THAT(absl::StrReplaceAll(line, {{"(<columns>)", "(`a`, `b`)"}}),
              HasSubstr(agent::LoadDataSql(part)));
}

TEST_F(PlanStatementsTest, LogicalSourceLineIsTheSnapshotSessionInItsOrder) {
  Method("logical");
  const std::string line = Line(StreamImportStep(in_), std::string(kBackupStageStart));
  size_t at = 0;
  for (absl::string_view sql : {kBackupStageStart, kBackupStageBlockDdl, kBackupStageBlockCommit,
                                kConsistentSnapshotStatement, kBackupStageEnd}) {
    const size_t found = line.find(std::string(sql), at);
    ASSERT_NE(found, std::string::npos) << sql << " not after position " << at << " in " << line;
    at = found + sql.size();
  }
}

TEST_F(PlanStatementsTest, ParkLineIsTheParkBuildersStatements) {
  Method("logical");
  in_.options.backup = "park";
  std::optional<Step> backup = BackupTargetStep(in_);
  ASSERT_TRUE(backup.has_value());
  const std::string line = Line(*backup, "RENAME TABLE");
  EXPECT_THAT(line, HasSubstr(std::string(kBinlogOffStatement)));
  EXPECT_THAT(line, HasSubstr(DropTriggerStatement("<schema>", "<trigger>")));
  EXPECT_THAT(
      line, HasSubstr(ParkTablesStatement(
                {{"<schema>", "<table>", std::string(kParkedSchemaPrefix) + "<run digest>_<n>"}})));
}

TEST_F(PlanStatementsTest, PhysicalLinesNameTheAgentsPathsAndStartOptions) {
  Method("physical");
  Step step = StreamImportStep(in_);
  const std::string new_dir = PhysicalNewDir("<datadir>", "<run>");
  EXPECT_EQ(new_dir, "<datadir>.mmresync-new-<run>");
  EXPECT_THAT(Line(step, " < stream"),
              HasSubstr("mbstream -x --parallel=<cores> -C <datadir>.mmresync-new-<run>"));
  EXPECT_THAT(Line(step, "--prepare"),
              HasSubstr(ArgvText(PrepareArgv(kMariadbBackupCommand, new_dir))));
  EXPECT_THAT(Line(step, "stop mariadbd"),
              HasSubstr("mv <datadir> " + PhysicalBackupDir("<datadir>", "<run>") +
                        "  (the backup); mv " + new_dir + " <datadir>"));
  EXPECT_THAT(Line(step, "start mariadbd"),
              HasSubstr(std::string(kMariadbdOptionsEnv) + "=" + kMariadbdSwapOptions));
  EXPECT_THAT(Line(step, "start mariadbd"), HasSubstr(SetReadOnlyStatement(true)));
}

TEST_F(PlanStatementsTest, DeltaApplyLineIsTheDeltaBuildersStatements) {
  Method("delta");
  const std::string line = Line(StreamImportStep(in_), "DELETE FROM");
  EXPECT_THAT(line,
              HasSubstr(DeleteRangesStatement("<schema>", "<table>", "<differing key ranges>")));
  EXPECT_THAT(line, HasSubstr(DropTriggerStatement("<schema>", "<trigger>")));
  EXPECT_THAT(line, HasSubstr(DropEventStatement("<schema>", "<event>")));
  EXPECT_THAT(line, HasSubstr(LoadDataStatement("<schema>", "<table>", {"<columns>"}, {})));
}

// The compare line gives the agent's own chunk sizes and lanes (common/delta_sizing.h).
TEST_F(PlanStatementsTest, DeltaCompareLineGivesTheAgentsChunksAndLanes) {
  Method("delta");
  const std::string line = Line(StreamImportStep(in_), "compare:");
  EXPECT_THAT(line, HasSubstr("tables 2 x <cores> (4-8) at a time"));
  EXPECT_THAT(line, HasSubstr(absl::StrCat("up to ", kDeltaChunkRows, " rows or 8.0 MiB")));
  in_.options.workers = 3;
  EXPECT_THAT(Line(StreamImportStep(in_), "compare:"), HasSubstr("tables 3 at a time"));
}

// mbstream extracts with as many threads as the backup streams with, never with one alone:
// one thread reading the stream and writing every file throttles the whole pipe.
TEST_F(PlanStatementsTest, PhysicalExtractRunsParallelThreadsFromTheWorkers) {
  Method("physical");
  in_.options.workers = 4;
  EXPECT_THAT(Line(StreamImportStep(in_), " < stream"), HasSubstr("mbstream -x --parallel=4 -C "));
  in_.options.workers = 1;
  const std::string line = Line(StreamImportStep(in_), " < stream");
  EXPECT_THAT(line, HasSubstr("mbstream -x --parallel=2 -C "));
  EXPECT_THAT(Line(StreamImportStep(in_), "--backup"), HasSubstr("--parallel=1 "));
}

// The step sends the request the plan was built from, with the run's id and token.
TEST_F(PlanStatementsTest, ImportStepSendsTheRequestThePlanDescribes) {
  Method("logical");
  in_.options.workers = 3;
  in_.options.compression = "zstd 5";
  in_.options.skip_backup = true;
  Step step = StreamImportStep(in_);
  EXPECT_THAT(Line(step, "transfer session"), HasSubstr("(3 workers)"));

  RecordingAgent source(config_.nodes[0], *in_.view.nodes[0].status);
  RecordingAgent target(config_.nodes[1], *in_.view.nodes[1].status);
  NullSink sink;
  RunContext ctx;
  ctx.run_id = "run-9";
  ctx.config = &config_;
  ctx.source = &source;
  ctx.target = &target;
  ctx.view = in_.view;
  ctx.roles = in_.roles;
  ctx.sink = &sink;
  EXPECT_FALSE(step.run(ctx).ok());  // the fake has no import to give
  ASSERT_EQ(target.Sent<v1::ImportRequest>().size(), 1u);
  const v1::ImportRequest sent = target.Sent<v1::ImportRequest>()[0];
  const std::string token = source.Sent<v1::AuthorizeTransferRequest>().at(0).token();
  EXPECT_FALSE(token.empty());
  v1::ImportRequest expected =
      ImportRequestForRun(ImportRequestFor({.source_agent = "10.0.0.1:7443",
                                            .source_node = "db1",
                                            .expected_bytes = 1 << 20,
                                            .backup_skipped = true,
                                            .method = "logical",
                                            .workers = 3,
                                            .compression = "zstd 5"}),
                          "run-9", token);
  EXPECT_EQ(sent.SerializeAsString(), expected.SerializeAsString()) << sent.DebugString();
}

TEST_F(PlanStatementsTest, EachStepSaysWhatItDoesToThePair) {
  Method("logical");
  config_.pause_hook = "true";
  config_.resume_hook = "true";
  std::vector<Step> steps = BuildRecoveryPlan(in_);
  std::vector<std::pair<std::string, StepEffect>> effects;
  for (const Step& s : steps) effects.emplace_back(s.id, EffectOf(steps, s.id));
  EXPECT_THAT(
      effects,
      ::testing::ElementsAre(
          std::pair<std::string, StepEffect>{"pause-hook", StepEffect::kPausesServices},
          std::pair<std::string, StepEffect>{"fence-target", StepEffect::kFencesTarget},
          std::pair<std::string, StepEffect>{"stop-replication", StepEffect::kStopsReplication},
          std::pair<std::string, StepEffect>{"backup-target", StepEffect::kBacksUpTarget},
          std::pair<std::string, StepEffect>{"stream-import", StepEffect::kReplacesData},
          std::pair<std::string, StepEffect>{"phase1", StepEffect::kStartsReplica},
          std::pair<std::string, StepEffect>{"phase2", StepEffect::kRestoresReplication},
          std::pair<std::string, StepEffect>{"unfence", StepEffect::kUnfencesTarget},
          std::pair<std::string, StepEffect>{"resume-hook", StepEffect::kResumesServices}));
  EXPECT_EQ(EffectOf(steps, "journal"), StepEffect::kNone);
}

}  // namespace
}  // namespace mmresync::coordinator
