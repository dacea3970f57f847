#include "agent/object_definitions.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ObjectDefinition Object(const std::string& kind, const std::string& name,
                            const std::string& body, const std::string& sql_mode = "") {
  v1::ObjectDefinition o;
  o.set_kind(kind);
  o.set_schema("s");
  o.set_name(name);
  o.set_create_sql(body);
  o.set_sql_mode(sql_mode);
  o.set_character_set_client("utf8mb4");
  o.set_collation_connection("utf8mb4_general_ci");
  return o;
}

std::vector<std::string> Labels(const ObjectList& list) {
  std::vector<std::string> out;
  for (const auto& o : list) out.push_back(ObjectLabel(o));
  return out;
}

TEST(ObjectDefinitionsTest, OnlyObjectsThatDifferInAnyFieldOrExistOnOneSideAreReplaced) {
  const ObjectList source = {
      Object("VIEW", "same", "CREATE VIEW same AS SELECT 1"),
      Object("VIEW", "body", "CREATE VIEW body AS SELECT 1"),
      Object("PROCEDURE", "mode", "CREATE PROCEDURE mode() SELECT 1", "STRICT_TRANS_TABLES"),
      Object("FUNCTION", "charset", "CREATE FUNCTION charset() RETURNS INT RETURN 1"),
      Object("FUNCTION", "new", "CREATE FUNCTION new() RETURNS INT RETURN 1"),
      // Same name, another kind: a different object.
      Object("PROCEDURE", "both", "CREATE PROCEDURE both() SELECT 1"),
  };
  ObjectList target = {
      Object("VIEW", "same", "CREATE VIEW same AS SELECT 1"),
      Object("VIEW", "body", "CREATE VIEW body AS SELECT 2"),
      Object("PROCEDURE", "mode", "CREATE PROCEDURE mode() SELECT 1", ""),
      Object("FUNCTION", "charset", "CREATE FUNCTION charset() RETURNS INT RETURN 1"),
      Object("FUNCTION", "both", "CREATE FUNCTION both() RETURNS INT RETURN 1"),
      Object("VIEW", "old", "CREATE VIEW old AS SELECT 1"),
  };
  target[3].set_collation_connection("utf8mb4_bin");
  const ObjectChanges changes = DiffObjects(source, target);
  EXPECT_THAT(Labels(changes.create),
              ElementsAre("view `s`.`body`", "procedure `s`.`mode`", "function `s`.`charset`",
                          "function `s`.`new`", "procedure `s`.`both`"));
  // The target's own versions, to be saved and dropped.
  EXPECT_THAT(Labels(changes.drop),
              ElementsAre("view `s`.`body`", "procedure `s`.`mode`", "function `s`.`charset`",
                          "function `s`.`both`", "view `s`.`old`"));
  EXPECT_EQ(changes.drop[0].create_sql(), "CREATE VIEW body AS SELECT 2");
  EXPECT_TRUE(DiffObjects(source, source).empty());
}

TEST(ObjectDefinitionsTest, CreatesUnderTheObjectsOwnSettings) {
  auto sql = CreateObjectStatements(Object("PROCEDURE", "p",
                                           "CREATE DEFINER=`a`@`%` PROCEDURE `p`() SELECT 1",
                                           "ANSI_QUOTES,STRICT_TRANS_TABLES"));
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_THAT(*sql,
              ElementsAre("USE `s`", "SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_TRANS_TABLES'",
                          "SET SESSION character_set_client = utf8mb4",
                          "SET SESSION collation_connection = utf8mb4_general_ci",
                          "CREATE DEFINER=`a`@`%` PROCEDURE `p`() SELECT 1"));
  EXPECT_EQ(DropObjectSql(Object("PACKAGE BODY", "k`x", "x")),
            "DROP PACKAGE BODY IF EXISTS `s`.`k``x`");
  auto script = CreateObjectScript(Object("FUNCTION", "f",
                                          "CREATE FUNCTION f() RETURNS INT "
                                          "BEGIN RETURN 1; END"));
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_THAT(*script, HasSubstr("DELIMITER ;;\nCREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; "
                                 "END;;\nDELIMITER ;\nSET SESSION sql_mode = @mmresync_sql_mode;"));
}

TEST(ObjectDefinitionsTest, SettingsThatWouldBreakOutOfTheirStatementAreRefused) {
  auto bad_mode = Object("PROCEDURE", "p", "CREATE PROCEDURE p() SELECT 1", "x'; DROP TABLE t");
  EXPECT_THAT(std::string(CreateObjectStatements(bad_mode).status().message()),
              HasSubstr("invalid definition of procedure `s`.`p`"));
  auto bad_charset = Object("VIEW", "v", "CREATE VIEW v AS SELECT 1");
  bad_charset.set_character_set_client("utf8mb4; DROP TABLE t");
  EXPECT_FALSE(CreateObjectStatements(bad_charset).ok());
  EXPECT_FALSE(CreateObjectStatements(Object("TABLE", "t", "CREATE TABLE t (a INT)")).ok());
  EXPECT_FALSE(CreateObjectStatements(Object("VIEW", "v", "")).ok());
}

}  // namespace
}  // namespace mmresync::agent
