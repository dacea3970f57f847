#include "coordinator/verify_command.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::coordinator {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

void Add(v1::ChecksumReply& reply, const std::string& schema, const std::string& table,
         uint64_t checksum, uint64_t rows, bool null = false) {
  v1::TableChecksum* t = reply.add_tables();
  t->set_schema(schema);
  t->set_table(table);
  t->set_checksum(checksum);
  t->set_rows(rows);
  t->set_checksum_null(null);
}

v1::ChecksumReply Base() {
  v1::ChecksumReply r;
  Add(r, "app", "orders", 1111, 10);
  Add(r, "app", "users", 2222, 3);
  Add(r, "crm", "leads", 3333, 0);
  return r;
}

TEST(CompareChecksumsTest, Equal) {
  EXPECT_THAT(CompareChecksums("db1", Base(), "db2", Base()), IsEmpty());
  EXPECT_THAT(CompareChecksums("db1", v1::ChecksumReply(), "db2", v1::ChecksumReply()), IsEmpty());
}

TEST(CompareChecksumsTest, OrderDoesNotMatter) {
  v1::ChecksumReply a = Base();
  v1::ChecksumReply b;
  for (int i = a.tables_size() - 1; i >= 0; --i) *b.add_tables() = a.tables(i);
  EXPECT_THAT(CompareChecksums("db1", a, "db2", b), IsEmpty());
}

TEST(CompareChecksumsTest, DifferingChecksum) {
  v1::ChecksumReply b = Base();
  b.mutable_tables(1)->set_checksum(9999);
  EXPECT_THAT(CompareChecksums("db1", Base(), "db2", b),
              ElementsAre(AllOf(HasSubstr("app.users"), HasSubstr("db1 checksum 2222"),
                                HasSubstr("db2 checksum 9999"))));
}

TEST(CompareChecksumsTest, DifferingRows) {
  v1::ChecksumReply b = Base();
  b.mutable_tables(0)->set_rows(11);
  EXPECT_THAT(
      CompareChecksums("db1", Base(), "db2", b),
      ElementsAre(AllOf(HasSubstr("app.orders"), HasSubstr("rows 10"), HasSubstr("rows 11"))));
}

TEST(CompareChecksumsTest, DifferingNullness) {
  v1::ChecksumReply a = Base();
  v1::ChecksumReply b = Base();
  a.mutable_tables(2)->set_checksum(0);
  a.mutable_tables(2)->set_checksum_null(true);
  b.mutable_tables(2)->set_checksum(0);
  EXPECT_THAT(CompareChecksums("db1", a, "db2", b), ElementsAre(HasSubstr("crm.leads")));
}

TEST(CompareChecksumsTest, MissingOnEitherSide) {
  v1::ChecksumReply a = Base();
  v1::ChecksumReply b = Base();
  Add(a, "app", "only_a", 1, 1);
  Add(b, "zzz", "only_b", 2, 2);
  EXPECT_THAT(CompareChecksums("db1", a, "db2", b),
              UnorderedElementsAre("app.only_a: missing on db2", "zzz.only_b: missing on db1"));
  EXPECT_THAT(CompareChecksums("db1", a, "db2", v1::ChecksumReply()),
              ::testing::SizeIs(a.tables_size()));
}

TEST(CompareChecksumsTest, SchemaAndTableAreKeptApart) {
  // "a.b" + "c" must not be confused with "a" + "b.c".
  v1::ChecksumReply a, b;
  Add(a, "a.b", "c", 1, 1);
  Add(b, "a", "b.c", 1, 1);
  EXPECT_THAT(CompareChecksums("db1", a, "db2", b), ::testing::SizeIs(2));

  // Both on each node: a difference in either is found.
  v1::ChecksumReply both_a, both_b;
  Add(both_a, "a.b", "c", 1, 1);
  Add(both_a, "a", "b.c", 2, 2);
  Add(both_b, "a.b", "c", 1, 1);
  Add(both_b, "a", "b.c", 3, 2);
  EXPECT_THAT(CompareChecksums("db1", both_a, "db2", both_b),
              ElementsAre(AllOf(HasSubstr("checksum 2"), HasSubstr("checksum 3"))));
}

}  // namespace
}  // namespace mmresync::coordinator
