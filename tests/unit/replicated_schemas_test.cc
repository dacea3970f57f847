#include "agent/replicated_schemas.h"

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

TEST(SchemaFilterTest, IgnoreDbLeavesItsSchemasOut) {
  auto f = SchemaFilter::FromFilters({"replicate_ignore_db=localdb,scratch"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->Carries("localdb"));
  EXPECT_FALSE(f->Carries("scratch"));
  EXPECT_TRUE(f->Carries("shop"));
  EXPECT_EQ(f->Describe(), "replicate_ignore_db=localdb,scratch");
}

// As the server: with a do list, only its schemas, whatever the ignore list says.
TEST(SchemaFilterTest, DoDbCarriesOnlyItsSchemas) {
  auto f = SchemaFilter::FromFilters({"replicate_do_db=shop", "replicate_ignore_db=crm"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Carries("shop"));
  EXPECT_FALSE(f->Carries("crm"));
  EXPECT_FALSE(f->Carries("other"));
}

TEST(SchemaFilterTest, NoFiltersCarryEverything) {
  auto f = SchemaFilter::FromFilters({});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Carries("anything"));
  EXPECT_EQ(f->Describe(), "none");
}

TEST(SchemaFilterTest, FiltersNotBySchemaAreRefusedByName) {
  for (const char* bad : {"replicate_wild_do_table=shop.%", "replicate_ignore_table=a.b",
                          "binlog_do_db=shop", "replicate_rewrite_db=a->b"}) {
    auto f = SchemaFilter::FromFilters({"replicate_ignore_db=x", bad});
    EXPECT_TRUE(absl::IsFailedPrecondition(f.status())) << bad;
    EXPECT_THAT(std::string(f.status().message()), HasSubstr(bad));
  }
}

TEST(ListReplicatedSchemasTest, UserSchemasLessTheIgnoredOnes) {
  FakeDbScript script;
  script.OnQuery("SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'",
                 Rows({"Variable_name", "Value"},
                      {{"replicate_ignore_db", "localdb"}, {"replicate_do_db", ""}}));
  script.OnQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA",
                 Rows({"SCHEMA_NAME"}, {{"mysql"}, {"shop"}, {"localdb"}, {"crm"}}));
  FakeDbSession session(&script);
  auto schemas = ListReplicatedSchemas(session);
  ASSERT_TRUE(schemas.ok()) << schemas.status();
  EXPECT_THAT(*schemas, ElementsAre("crm", "shop"));
}

}  // namespace
}  // namespace mmresync::agent
