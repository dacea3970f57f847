#include "agent/node_facts.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The dump method's snapshot GTID: mariadb-dump's file/position as a GTID position.
TEST(GtidAtPositionTest, AsksTheServerForThePositionsGtid) {
  FakeDbScript script;
  script.OnQuery("SELECT BINLOG_GTID_POS('mysql-bin.000003', 1234)",
                 Rows({"BINLOG_GTID_POS"}, {{"1-1-50,2-2-7"}}));
  FakeDbSession session(&script);
  auto gtid = GtidAtPosition(session, "mysql-bin.000003", 1234);
  ASSERT_TRUE(gtid.ok()) << gtid.status();
  EXPECT_EQ(*gtid, "1-1-50,2-2-7");
}

TEST(GtidAtPositionTest, NullOrMalformedIsAnError) {
  {
    FakeDbScript script;
    script.OnQuery("SELECT BINLOG_GTID_POS('mysql-bin.000003', 1234)",
                   Rows({"BINLOG_GTID_POS"}, {{std::nullopt}}));
    FakeDbSession session(&script);
    EXPECT_TRUE(
        absl::IsFailedPrecondition(GtidAtPosition(session, "mysql-bin.000003", 1234).status()));
  }
  {
    FakeDbScript script;
    script.OnQuery("SELECT BINLOG_GTID_POS('mysql-bin.000003', 1234)",
                   Rows({"BINLOG_GTID_POS"}, {{"1-1-x'"}}));
    FakeDbSession session(&script);
    EXPECT_FALSE(GtidAtPosition(session, "mysql-bin.000003", 1234).ok());
  }
}

TEST(ReplicationFiltersTest, NonEmptyFiltersFromVariablesAndMasterStatus) {
  FakeDbScript script;
  script.OnQueryPrefix(
      "SHOW GLOBAL VARIABLES LIKE 'replicate",
      Rows({"Variable_name", "Value"}, {{"replicate_do_db", ""},
                                        {"replicate_ignore_db", "local"},
                                        {"replicate_events_marked_for_skip", "REPLICATE"},
                                        {"replicate_same_server_id", "OFF"},
                                        {"replicate_wild_ignore_table", "x.%"}}));
  script.OnQuery("SHOW MASTER STATUS",
                 Rows({"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"},
                      {{"mysql-bin.000001", "4", "", "scratch"}}));
  FakeDbSession session(&script);
  auto filters = ReplicationFilters(session);
  ASSERT_TRUE(filters.ok()) << filters.status();
  EXPECT_THAT(*filters, ElementsAre("binlog_ignore_db=scratch", "replicate_ignore_db=local",
                                    "replicate_wild_ignore_table=x.%"));
}

TEST(ReplicationFiltersTest, NoneWhenEverythingIsEmpty) {
  FakeDbScript script;
  script.OnQueryPrefix("SHOW GLOBAL VARIABLES LIKE 'replicate",
                       Rows({"Variable_name", "Value"}, {{"replicate_do_db", ""}}));
  script.OnQuery("SHOW MASTER STATUS", Rows({"File", "Position"}));
  FakeDbSession session(&script);
  auto filters = ReplicationFilters(session);
  ASSERT_TRUE(filters.ok()) << filters.status();
  EXPECT_THAT(*filters, IsEmpty());
}

}  // namespace
}  // namespace mmresync::agent
