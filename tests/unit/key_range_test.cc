// The SQL of key ranges: typed literals only, built from the column's own type, and
// refused when the bytes do not fit it.

#include "agent/key_range.h"

#include "absl/strings/str_replace.h"
#include "agent/table_definition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::HasSubstr;

TableKey Composite() {
  TableKey key;
  key.index = "PRIMARY";
  key.columns.push_back({"a", KeyColumn::Kind::kInteger, "", ""});
  key.columns.push_back({"b", KeyColumn::Kind::kString, "latin1", "latin1_swedish_ci"});
  return key;
}

TEST(KeyRangeTest, LiteralsAreTypedAndValuesThatDoNotFitAreRefused) {
  KeyColumn i{"id", KeyColumn::Kind::kInteger, "", ""};
  EXPECT_EQ(*KeyLiteral(i, "-42"), "-42");
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(i, "1 OR 1=1").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(i, "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(i, "-").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(i, "--1").status()));
  KeyColumn d{"d", KeyColumn::Kind::kDecimal, "", ""};
  EXPECT_EQ(*KeyLiteral(d, "-1.50"), "-1.50");
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(d, "1e5").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(d, "-").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(d, "-.").status()));
  KeyColumn t{"t", KeyColumn::Kind::kTemporal, "", ""};
  EXPECT_EQ(*KeyLiteral(t, "2024-02-29 01:02:03.5"), "'2024-02-29 01:02:03.5'");
  EXPECT_TRUE(absl::IsInvalidArgument(KeyLiteral(t, "2024' OR '1").status()));
  KeyColumn s{"s", KeyColumn::Kind::kString, "utf8mb4", "utf8mb4_general_ci"};
  EXPECT_EQ(*KeyLiteral(s, "a'\\"), "_utf8mb4 X'61275c' COLLATE utf8mb4_general_ci");
  KeyColumn b{"b", KeyColumn::Kind::kBinary, "", ""};
  EXPECT_EQ(*KeyLiteral(b, std::string("\0\xff", 2)), "X'00ff'");
}

TEST(KeyRangeTest, CompositeRangesCompareAsTuples) {
  v1::KeyRange r;
  r.add_lower("1");
  r.add_lower("x");
  r.add_upper("2");
  r.add_upper("y");
  auto sql = RangeCondition(Composite(), r);
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(*sql,
            "((`a` > 1 OR (`a` = 1 AND `b` > _latin1 X'78' COLLATE latin1_swedish_ci)) AND "
            "(`a` < 2 OR (`a` = 2 AND `b` <= _latin1 X'79' COLLATE latin1_swedish_ci)))");
  EXPECT_EQ(*RangeCondition(Composite(), v1::KeyRange()), "1");
}

TEST(KeyRangeTest, ABoundWithTheWrongNumberOfValuesIsRefused) {
  v1::KeyRange r;
  r.add_lower("1");
  auto sql = RangeCondition(Composite(), r);
  EXPECT_TRUE(absl::IsInvalidArgument(sql.status()));
  EXPECT_THAT(std::string(sql.status().message()), HasSubstr("2 columns"));
}

TEST(TableDefinitionTest, TheAutoIncrementCounterIsNotPartOfTheDefinition) {
  const std::string a =
      "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n)"
      " ENGINE=InnoDB AUTO_INCREMENT=17 DEFAULT CHARSET=latin1";
  const std::string b =
      "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`id`)\n)"
      " ENGINE=InnoDB AUTO_INCREMENT=900 DEFAULT CHARSET=latin1";
  EXPECT_EQ(ComparableCreateTable(a), ComparableCreateTable(b));
  EXPECT_THAT(ComparableCreateTable(a), HasSubstr("NOT NULL AUTO_INCREMENT,"));
  EXPECT_NE(ComparableCreateTable(a),
            ComparableCreateTable(absl::StrReplaceAll(a, {{"latin1", "utf8mb4"}})));
}

TEST(TableDefinitionTest, DifferingDefinitionsNameWhatDiffers) {
  EXPECT_TRUE(
      DifferingDefinitions("schemas=a views=b routines=c", "schemas=a views=b routines=c").empty());
  EXPECT_EQ(DifferingDefinitions("schemas=a views=b routines=c", "schemas=a views=x routines=c"),
            std::vector<std::string>{"views"});
  // An old source that sends nothing is never taken as equal.
  EXPECT_EQ(DifferingDefinitions("", "").size(), 3u);
}

}  // namespace
}  // namespace mmresync::agent
