#include "agent/stats_recalc_pause.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::TempDir;

constexpr char kRead[] = "SELECT @@GLOBAL.innodb_stats_auto_recalc AS v";
constexpr char kOff[] = "SET GLOBAL innodb_stats_auto_recalc = OFF";
constexpr char kOn[] = "SET GLOBAL innodb_stats_auto_recalc = ON";

// A pause of a setting that was ON, never ended: what a load killed mid-way leaves.
void LeaveAKilledPause(const TempDir& dir) {
  FakeDbScript script;
  script.OnQuery(kRead, Rows({"v"}, {{"1"}}));
  FakeDbSession session(&script);
  ASSERT_TRUE(StatsRecalcPause::Begin(session, dir.path()).active());
}

TEST(StatsRecalcPauseTest, PausesWhatWasOnAndPutsItBack) {
  TempDir dir;
  FakeDbScript script;
  script.OnQuery(kRead, Rows({"v"}, {{"1"}}));
  FakeDbSession session(&script);
  StatsRecalcPause pause = StatsRecalcPause::Begin(session, dir.path());
  EXPECT_TRUE(pause.active());
  EXPECT_TRUE(StatsRecalcPauseRecorded(dir.path())) << "recorded before the change";
  ASSERT_TRUE(pause.End(session).ok());
  EXPECT_FALSE(StatsRecalcPauseRecorded(dir.path()));
  EXPECT_THAT(script.statements(), ElementsAre(kRead, kOff, kOn));
}

// Off by the DBA's choice: left alone, and nothing is put back ON afterwards.
TEST(StatsRecalcPauseTest, LeavesAnOffSettingAlone) {
  TempDir dir;
  FakeDbScript script;
  script.OnQuery(kRead, Rows({"v"}, {{"0"}}));
  FakeDbSession session(&script);
  StatsRecalcPause pause = StatsRecalcPause::Begin(session, dir.path());
  EXPECT_FALSE(pause.active());
  EXPECT_TRUE(pause.note().empty());
  ASSERT_TRUE(pause.End(session).ok());
  EXPECT_THAT(script.statements(), ElementsAre(kRead));
  EXPECT_FALSE(StatsRecalcPauseRecorded(dir.path()));
}

// A server that refuses the change leaves the load to run, slower, saying why; no record
// is left that would later turn the setting ON.
TEST(StatsRecalcPauseTest, ARefusedPauseIsANoteNotAFailure) {
  TempDir dir;
  FakeDbScript script;
  script.OnQuery(kRead, Rows({"v"}, {{"1"}}));
  script.Fail(kOff, absl::PermissionDeniedError("ERROR 1227: Access denied; you need SUPER"));
  FakeDbSession session(&script);
  StatsRecalcPause pause = StatsRecalcPause::Begin(session, dir.path());
  EXPECT_FALSE(pause.active());
  EXPECT_THAT(pause.note(), HasSubstr("Access denied"));
  EXPECT_THAT(pause.note(), HasSubstr("slower"));
  EXPECT_FALSE(StatsRecalcPauseRecorded(dir.path()));
  ASSERT_TRUE(pause.End(session).ok());
  EXPECT_TRUE(script.StatementsStartingWith(kOn).empty());
}

// A killed load left the setting OFF and its record: the next load knows it was ON and
// puts it back, and so does the agent's next start.
TEST(StatsRecalcPauseTest, AKilledPauseIsUndoneByTheNextLoadOrStart) {
  TempDir dir;
  LeaveAKilledPause(dir);
  {
    FakeDbScript script;
    script.OnQuery(kRead, Rows({"v"}, {{"0"}}));  // as the killed load left it
    FakeDbSession session(&script);
    StatsRecalcPause next = StatsRecalcPause::Begin(session, dir.path());
    EXPECT_TRUE(next.active());
    ASSERT_TRUE(next.End(session).ok());
    EXPECT_THAT(script.statements(), ElementsAre(kOff, kOn));
  }
  {
    LeaveAKilledPause(dir);  // killed again
    FakeDbScript restart;
    FakeDbSession at_start(&restart);
    ASSERT_TRUE(StatsRecalcPause::RestoreAfterRestart(at_start, dir.path()).ok());
    EXPECT_THAT(restart.statements(), ElementsAre(kOn));
    EXPECT_FALSE(StatsRecalcPauseRecorded(dir.path()));
    ASSERT_TRUE(StatsRecalcPause::RestoreAfterRestart(at_start, dir.path()).ok());
    EXPECT_THAT(restart.statements(), ElementsAre(kOn)) << "nothing recorded, nothing done";
  }
}

// A killed pause's record survives a later pause that could not be taken: the setting the
// killed one turned OFF is still to be put back ON.
TEST(StatsRecalcPauseTest, ARefusedPauseKeepsAKilledPausesRecord) {
  TempDir dir;
  LeaveAKilledPause(dir);
  FakeDbScript script;
  script.Fail(kOff, absl::UnavailableError("Lost connection to server during query"));
  FakeDbSession session(&script);
  StatsRecalcPause refused = StatsRecalcPause::Begin(session, dir.path());
  EXPECT_FALSE(refused.active());
  EXPECT_TRUE(StatsRecalcPauseRecorded(dir.path()));
}

// A failed restore keeps the record, so the agent's next start tries again.
TEST(StatsRecalcPauseTest, AFailedRestoreKeepsTheRecord) {
  TempDir dir;
  FakeDbScript script;
  script.OnQuery(kRead, Rows({"v"}, {{"1"}}));
  script.Fail(kOn, absl::UnavailableError("MySQL server has gone away"));
  FakeDbSession session(&script);
  StatsRecalcPause pause = StatsRecalcPause::Begin(session, dir.path());
  absl::Status ended = pause.End(session);
  EXPECT_THAT(ended.message(), HasSubstr("putting innodb_stats_auto_recalc back ON"));
  EXPECT_THAT(ended.message(), HasSubstr("gone away"));
  EXPECT_TRUE(StatsRecalcPauseRecorded(dir.path()));
}

// The load's end puts the setting back on a session of its own; a server out of reach
// keeps the record for the agent's next start.
TEST(StatsRecalcPauseTest, EndOrWarnUsesANewSessionAndKeepsTheRecordWhenItCannot) {
  TempDir dir;
  FakeDbScript script;
  script.OnQuery(kRead, Rows({"v"}, {{"1"}}));
  FakeDbSession session(&script);
  StatsRecalcPause pause = StatsRecalcPause::Begin(session, dir.path());
  FakeDbScript down;
  down.FailOpen(absl::UnavailableError("Can't connect to local server"));
  fakes::FakeDbSessionFactory unreachable(&down);
  pause.EndOrWarn(unreachable);
  EXPECT_TRUE(StatsRecalcPauseRecorded(dir.path()));
  FakeDbScript up;
  fakes::FakeDbSessionFactory reachable(&up);
  pause.EndOrWarn(reachable);
  EXPECT_THAT(up.statements(), ElementsAre(kOn));
  EXPECT_FALSE(StatsRecalcPauseRecorded(dir.path()));
}

}  // namespace
}  // namespace mmresync::agent
