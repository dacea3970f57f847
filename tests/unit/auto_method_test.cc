// `--method auto`: delta when the target holds the source's tables to compare, else the
// logical re-seed (else dump), with the reason.

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "coordinator/transfer_method.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;

struct Table {
  std::string name;
  std::string definition;
  bool keyed;
  uint64_t bytes;
};

v1::NodeStatus Node(const std::string& name, const std::vector<Table>& tables,
                    const std::string& schema = "shop") {
  v1::NodeStatus n;
  n.set_node(name);
  n.set_version("10.11.6-MariaDB");
  if (schema.empty()) return n;
  v1::SchemaSize* s = n.add_schemas();
  s->set_name(schema);
  s->set_tables(static_cast<uint32_t>(tables.size()));
  for (const auto& t : tables) {
    v1::TableShape* shape = s->add_table_shapes();
    shape->set_name(t.name);
    shape->set_definition(t.definition);
    shape->set_keyed(t.keyed);
    shape->set_bytes(t.bytes);
  }
  return n;
}

const std::vector<Table> kTables = {
    {"orders", "d1", true, 900}, {"items", "d2", true, 50}, {"log", "d3", false, 50}};

TEST(AutoMethodTest, DeltaWhenTheTargetHasTheSourcesTablesWithKeys) {
  auto c = ChooseMethod("auto", Node("db1", kTables), Node("db2", kTables));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->method, "delta");
  EXPECT_EQ(c->expected, "delta");
  // The keyless table is copied whole: 950 of 1000 bytes are compared.
  EXPECT_THAT(c->reason, HasSubstr("2 of the source's 3 table(s) (95% of its data)"));
}

TEST(AutoMethodTest, LogicalWhenTheTargetHasNoTablesOrOtherSchemas) {
  auto empty = ChooseMethod("auto", Node("db1", kTables), Node("db2", {}, ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->expected, "logical");
  EXPECT_EQ(empty->method, "auto");
  EXPECT_THAT(empty->reason, HasSubstr("the target db2 holds no user tables"));
  auto other = ChooseMethod("auto", Node("db1", kTables), Node("db2", kTables, "crm"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->expected, "logical");
  EXPECT_THAT(other->reason, HasSubstr("schema shop is on the source only"));
}

TEST(AutoMethodTest, LogicalWhenMostOfTheDataIsInTablesThatDifferOrLackAKey) {
  std::vector<Table> changed = kTables;
  changed[0].definition = "other";  // the 900-byte table
  auto c = ChooseMethod("auto", Node("db1", kTables), Node("db2", changed));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->expected, "logical");
  EXPECT_THAT(c->reason, HasSubstr("only 1 of the source's 3 table(s) (5% of its data)"));
  std::vector<Table> keyless = kTables;
  keyless[0].keyed = false;
  auto k = ChooseMethod("auto", Node("db1", keyless), Node("db2", keyless));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->expected, "logical");
}

TEST(AutoMethodTest, DumpStaysTheAnswerForSourcesTheSnapshotCannotCover) {
  v1::NodeStatus source = Node("db1", kTables);
  source.mutable_schemas(0)->set_non_transactional_tables(1);
  auto c = ChooseMethod("auto", source, Node("db2", kTables));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->expected, "dump");
}

// Plan states the snapshot rule for MyISAM/Aria tables: the global read lock, on which
// node, for what size; nothing for an all-InnoDB source.
TEST(AutoMethodTest, PlanStatesTheGlobalReadLockForNonInnodbTables) {
  v1::NodeStatus source = Node("db1", kTables);
  EXPECT_EQ(NonTransactionalLockLine(source, 3 << 20), "");
  source.mutable_schemas(0)->set_non_transactional_tables(2);
  for (const char* e : {"Aria", "InnoDB", "MyISAM"}) source.add_engines(e);
  const std::string line = NonTransactionalLockLine(source, 3 << 20);
  EXPECT_THAT(line, HasSubstr("db1 has 2 non-InnoDB table(s) (Aria, MyISAM)"));
  EXPECT_THAT(line, HasSubstr("db1 holds a global read lock (--lock-all-tables) for the whole "
                              "dump (~3.0 MiB)"));
  EXPECT_THAT(line, HasSubstr("writes to db1 wait"));
}

TEST(AutoMethodTest, ClusterConfigCanKeepAutoOnTheReseed) {
  auto kept = ChooseMethod("auto", Node("db1", kTables), Node("db2", kTables),
                           /*auto_delta=*/false);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->expected, "logical");
  EXPECT_THAT(kept->reason, HasSubstr("[cluster] auto_delta = false"));
  // Asked for by name, delta still runs.
  auto asked = ChooseMethod("delta", Node("db1", kTables), Node("db2", kTables), false);
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ(asked->expected, "delta");

  const std::string nodes =
      "[tls]\nca = \"ca.pem\"\ncert = \"c.pem\"\nkey = \"c.key\"\n"
      "[[node]]\nname = \"db1\"\nagent = \"db1:7443\"\nmariadb_host = \"10.0.0.1\"\n"
      "[[node]]\nname = \"db2\"\nagent = \"db2:7443\"\nmariadb_host = \"10.0.0.2\"\n";
  auto by_default = ParseClusterConfig(absl::StrCat("[cluster]\nname = \"p\"\n", nodes), "c");
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_TRUE(by_default->auto_delta);
  auto off =
      ParseClusterConfig(absl::StrCat("[cluster]\nname = \"p\"\nauto_delta = false\n", nodes), "c");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->auto_delta);
  auto bad = ParseClusterConfig(
      absl::StrCat("[cluster]\nname = \"p\"\nauto_delta = \"no\"\n", nodes), "c");
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("cluster.auto_delta"));
}

}  // namespace
}  // namespace mmresync::coordinator
