// RefreshTableStatistics: InnoDB tables get a plain, unbinlogged ANALYZE; other engines
// are left alone (their sizes are exact and their ANALYZE reads whole indexes); an error
// ANALYZE reports as a result row is an error naming the table.

#include "agent/table_statistics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSession;
using fakes::Rows;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kEngineQuery[] =
    "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME = "
    "'orders'";

TEST(TableStatisticsTest, InnodbTableIsAnalyzedWithoutBinlog) {
  FakeDbScript script;
  script.OnQuery(kEngineQuery, Rows({"ENGINE"}, {{"InnoDB"}}));
  script.OnQuery(
      "ANALYZE NO_WRITE_TO_BINLOG TABLE `shop`.`orders`",
      Rows({"Table", "Op", "Msg_type", "Msg_text"}, {{"shop.orders", "analyze", "status", "OK"}}));
  FakeDbSession session(&script);
  EXPECT_TRUE(RefreshTableStatistics(session, "shop", "orders").ok());
  EXPECT_THAT(script.statements(),
              ElementsAre(kEngineQuery, "ANALYZE NO_WRITE_TO_BINLOG TABLE `shop`.`orders`"));
}

TEST(TableStatisticsTest, OtherEnginesAreLeftAlone) {
  FakeDbScript script;
  script.OnQuery(kEngineQuery, Rows({"ENGINE"}, {{"Aria"}}));
  FakeDbSession session(&script);
  EXPECT_TRUE(RefreshTableStatistics(session, "shop", "orders").ok());
  EXPECT_THAT(script.statements(), ElementsAre(kEngineQuery));
}

TEST(TableStatisticsTest, AnErrorRowIsAnErrorNamingTheTable) {
  FakeDbScript script;
  script.OnQuery(kEngineQuery, Rows({"ENGINE"}, {{"InnoDB"}}));
  script.OnQuery("ANALYZE NO_WRITE_TO_BINLOG TABLE `shop`.`orders`",
                 Rows({"Table", "Op", "Msg_type", "Msg_text"},
                      {{"shop.orders", "analyze", "Error", "Lock wait timeout exceeded"},
                       {"shop.orders", "analyze", "status", "Operation failed"}}));
  FakeDbSession session(&script);
  absl::Status s = RefreshTableStatistics(session, "shop", "orders");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("`shop`.`orders`"));
  EXPECT_THAT(s.message(), HasSubstr("Lock wait timeout exceeded"));
}

TEST(TableStatisticsTest, AMissingTableIsAnError) {
  FakeDbScript script;
  script.OnQuery(kEngineQuery, Rows({"ENGINE"}));
  FakeDbSession session(&script);
  absl::Status s = RefreshTableStatistics(session, "shop", "orders");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(script.statements(), ElementsAre(kEngineQuery));
}

}  // namespace
}  // namespace mmresync::agent
