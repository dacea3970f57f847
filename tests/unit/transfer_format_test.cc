// The logical method's wire pieces: the LOAD DATA row encoding, the statements built
// from a table part, the per-part stream checks, and the method choice.

#include <deque>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "agent/load_data_format.h"
#include "agent/part_reader.h"
#include "common/sha256.h"
#include "coordinator/transfer_method.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::HasSubstr;

std::string Encode(const agent::DbSession::RowValues& row) {
  std::string out;
  agent::AppendLoadDataRow(row, &out);
  return out;
}

TEST(LoadDataRowTest, EscapesWhatLoadDataUnescapes) {
  const absl::string_view nul("nul\0byte", 8);
  agent::DbSession::RowValues row = {absl::string_view("a\tb"),
                                     absl::string_view("line\nnext"),
                                     absl::string_view("back\\slash"),
                                     nul,
                                     std::nullopt,
                                     absl::string_view(""),
                                     absl::string_view("\\N")};
  EXPECT_EQ(Encode(row), "a\\tb\tline\\nnext\tback\\\\slash\tnul\\0byte\t\\N\t\t\\\\N\n");
}

TEST(LoadDataRowTest, BytesOtherThanTheEscapedOnesPassUnchanged) {
  std::string all;
  for (int c = 1; c < 256; ++c) {
    if (c != '\t' && c != '\n' && c != '\\') all.push_back(static_cast<char>(c));
  }
  EXPECT_EQ(Encode({absl::string_view(all)}), all + "\n");
}

v1::TransferPart TablePart() {
  v1::TransferPart part;
  part.set_kind(v1::TransferPart::TABLE_ROWS);
  part.set_schema("my-app");
  part.set_table("we`ird");
  part.add_columns()->set_name("id");
  auto* bit = part.add_columns();
  bit->set_name("flags");
  bit->set_via_variable(true);
  return part;
}

TEST(LoadDataSqlTest, QuotesNamesAndCastsBitColumns) {
  EXPECT_EQ(agent::LoadDataSql(TablePart()),
            "LOAD DATA LOCAL INFILE 'mmresync-part' INTO TABLE `my-app`.`we``ird` CHARACTER SET "
            "binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
            "(`id`, @mmr_1) SET `flags` = CAST(@mmr_1 AS BINARY)");
  EXPECT_EQ(agent::SelectColumnsSql(TablePart()), "SELECT `id`, `flags` FROM `my-app`.`we``ird`");
}

TEST(LoadDataSqlTest, FloatColumnsAreReadAsDoubleSoTheTextKeepsEveryBit) {
  v1::TransferPart part = TablePart();
  auto* f = part.add_columns();
  f->set_name("f");
  f->set_as_double(true);
  EXPECT_EQ(agent::SelectColumnsSql(part),
            "SELECT `id`, `flags`, CAST(`f` AS DOUBLE) FROM `my-app`.`we``ird`");
  EXPECT_THAT(agent::LoadDataSql(part), HasSubstr("(`id`, @mmr_1, `f`)"));
}

// Chunks from memory, as a source would send them.
class FakeStream : public agent::DumpStream {
 public:
  std::deque<v1::DumpChunk> chunks;
  absl::Status end = absl::OkStatus();
  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override {
    if (chunks.empty()) {
      if (!end.ok()) return end;
      return std::optional<v1::DumpChunk>();
    }
    v1::DumpChunk c = chunks.front();
    chunks.pop_front();
    return std::optional<v1::DumpChunk>(c);
  }
  void Cancel() override {}
};

FakeStream Part(const std::vector<std::string>& pieces, bool trailer = true) {
  FakeStream s;
  Sha256 sha;
  uint64_t offset = 0;
  for (const auto& p : pieces) {
    v1::DumpChunk c;
    c.set_offset(offset);
    c.set_data(p);
    sha.Update(p);
    offset += p.size();
    s.chunks.push_back(c);
  }
  if (trailer) {
    v1::DumpChunk last;
    last.set_offset(offset);
    last.mutable_trailer()->set_bytes(offset);
    last.mutable_trailer()->set_sha256(sha.HexDigest());
    last.mutable_trailer()->set_rows(7);
    s.chunks.push_back(last);
  }
  return s;
}

std::string ReadAll(agent::PartReader& reader, absl::Status* error, size_t step = 3) {
  std::string out;
  char buf[16];
  while (true) {
    auto n = reader.Read(buf, step);
    if (!n.ok()) {
      *error = n.status();
      return out;
    }
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(PartReaderTest, ReadsAcrossChunksAndChecksTheTrailer) {
  FakeStream s = Part({"hello ", "wor", "ld"});
  agent::PartReader reader(s, "table `a`.`b`");
  absl::Status error;
  EXPECT_EQ(ReadAll(reader, &error), "hello world");
  EXPECT_TRUE(error.ok()) << error;
  EXPECT_EQ(reader.trailer().rows(), 7u);
  EXPECT_EQ(reader.bytes(), 11u);
}

TEST(PartReaderTest, AStreamWithoutTrailerIsDataLoss) {
  FakeStream s = Part({"hello"}, /*trailer=*/false);
  agent::PartReader reader(s, "table `a`.`b`");
  absl::Status error;
  ReadAll(reader, &error);
  EXPECT_TRUE(absl::IsDataLoss(error)) << error;
  EXPECT_THAT(std::string(error.message()), HasSubstr("table `a`.`b`"));
}

TEST(PartReaderTest, ACorruptedChunkIsDataLoss) {
  FakeStream s = Part({"hello ", "world"});
  s.chunks[1].set_data("w0rld");
  agent::PartReader reader(s, "t");
  absl::Status error;
  ReadAll(reader, &error);
  EXPECT_TRUE(absl::IsDataLoss(error)) << error;
  EXPECT_THAT(std::string(error.message()), HasSubstr("checksum"));
}

TEST(PartReaderTest, AGapInOffsetsIsDataLoss) {
  FakeStream s = Part({"hello ", "world"});
  s.chunks[1].set_offset(7);
  agent::PartReader reader(s, "t");
  absl::Status error;
  ReadAll(reader, &error);
  EXPECT_TRUE(absl::IsDataLoss(error)) << error;
}

TEST(PartReaderTest, ATrailerCountingOtherBytesIsDataLoss) {
  FakeStream s = Part({"hello"});
  s.chunks.back().mutable_trailer()->set_bytes(4);
  agent::PartReader reader(s, "t");
  absl::Status error;
  ReadAll(reader, &error);
  EXPECT_TRUE(absl::IsDataLoss(error)) << error;
}

TEST(PartReaderTest, TheSourcesErrorIsPassedOnNamingThePart) {
  FakeStream s = Part({"hello"}, false);
  s.end = absl::UnavailableError("source agent db1: connection reset");
  agent::PartReader reader(s, "table `a`.`b`");
  absl::Status error;
  ReadAll(reader, &error);
  EXPECT_TRUE(absl::IsUnavailable(error)) << error;
  EXPECT_THAT(std::string(error.message()), HasSubstr("table `a`.`b`"));
}

v1::NodeStatus Source(const std::string& version, uint32_t non_tx) {
  v1::NodeStatus s;
  s.set_version(version);
  auto* schema = s.add_schemas();
  schema->set_name("shop");
  schema->set_non_transactional_tables(non_tx);
  return s;
}

TEST(ChooseMethodTest, AutoIsLogicalOnAllInnoDbMariaDb105Plus) {
  auto c = coordinator::ChooseMethod("auto", Source("10.11.6-MariaDB-log", 0));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->method, "auto");
  EXPECT_EQ(c->expected, "logical");
}

TEST(ChooseMethodTest, AutoIsDumpWithNonTransactionalTablesOrOldServers) {
  auto myisam = coordinator::ChooseMethod("", Source("10.11.6-MariaDB", 2));
  ASSERT_TRUE(myisam.ok());
  EXPECT_EQ(myisam->expected, "dump");
  EXPECT_THAT(myisam->reason, HasSubstr("2 non-InnoDB"));
  auto old = coordinator::ChooseMethod("auto", Source("10.3.39-MariaDB", 0));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->expected, "dump");
  EXPECT_THAT(old->reason, HasSubstr("10.5"));
}

TEST(ChooseMethodTest, LogicalOnASourceThatCannotTakeItIsRefused) {
  auto c = coordinator::ChooseMethod("logical", Source("10.11.6-MariaDB", 1));
  EXPECT_TRUE(absl::IsFailedPrecondition(c.status())) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("--method dump"));
}

TEST(ChooseMethodTest, DeltaIsRefusedWhereTheSnapshotDoesNotCover) {
  auto delta = coordinator::ChooseMethod("delta", Source("10.11.6-MariaDB", 0));
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_EQ(delta->method, "delta");
  EXPECT_EQ(delta->expected, "delta");
  auto refused = coordinator::ChooseMethod("delta", Source("10.11.6-MariaDB", 1));
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  // auto with nothing to compare on the target: the logical re-seed (auto_method_test).
  auto chosen = coordinator::ChooseMethod("auto", Source("10.11.6-MariaDB", 0));
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->expected, "logical");
}

TEST(ChooseMethodTest, UnknownNamesAreUsageErrors) {
  for (const char* m : {"fast", "DELTA", "LOGICAL", "PHYSICAL"}) {
    auto c = coordinator::ChooseMethod(m, Source("10.11.6-MariaDB", 0));
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << m << ": " << c.status();
  }
  auto dump = coordinator::ChooseMethod("dump", Source("10.11.6-MariaDB", 0));
  ASSERT_TRUE(dump.ok());
  EXPECT_EQ(dump->method, "dump");
}

}  // namespace
}  // namespace mmresync
