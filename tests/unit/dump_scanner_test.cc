#include "agent/dump_scanner.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

constexpr char kHead[] =
    "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)\n"
    "--\n"
    "-- Host: localhost    Database: app\n"
    "-- ------------------------------------------------------\n"
    "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
    "\n"
    "--\n"
    "-- Position to start replication or point-in-time recovery from\n"
    "--\n"
    "\n";
constexpr char kChangeMaster[] =
    "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=123456789;\n";
constexpr char kBody[] =
    "\n"
    "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `app`;\n"
    "USE `app`;\n"
    "INSERT INTO `t` VALUES (1,'-- Dump completed'),(2,'x');\n";
constexpr char kFooter[] = "-- Dump completed\n";

std::string FullDump() { return std::string(kHead) + kChangeMaster + kBody + kFooter; }

// Feeds `data` in pieces of `size` bytes.
void FeedInPieces(DumpScanner& scanner, const std::string& data, size_t size) {
  for (size_t at = 0; at < data.size(); at += size) {
    scanner.Feed(absl::string_view(data).substr(at, size));
  }
}

TEST(ParseChangeMasterTest, ParsesFileAndPosition) {
  auto c = DumpScanner::ParseChangeMaster(kChangeMaster);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->file, "mysql-bin.000042");
  EXPECT_EQ(c->position, 123456789u);
}

TEST(ParseChangeMasterTest, FindsTheCommentAmongOtherLines) {
  auto c = DumpScanner::ParseChangeMaster(std::string(kHead) + kChangeMaster + kBody);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->file, "mysql-bin.000042");
  EXPECT_EQ(c->position, 123456789u);
}

TEST(ParseChangeMasterTest, MalformedIsNullopt) {
  for (const char* text : {
           "",
           "-- no comment here\n",
           "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042",    // no closing quote
           "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042';",  // no position
           "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=;",
           "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=abc;",
           "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=-5;",
           "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042',MASTER_LOG_POS=5;",
           // does not fit in 64 bits
           "-- CHANGE MASTER TO MASTER_LOG_FILE='b.1', MASTER_LOG_POS=99999999999999999999999;",
           "-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;",
       }) {
    EXPECT_FALSE(DumpScanner::ParseChangeMaster(text).has_value()) << text;
  }
}

TEST(ParseChangeMasterTest, DigitsEndAtFirstNonDigit) {
  auto c = DumpScanner::ParseChangeMaster(
      "CHANGE MASTER TO MASTER_LOG_FILE='b.000001', MASTER_LOG_POS=4;\n");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->position, 4u);
}

TEST(DumpScannerTest, WholeDumpInOneChunk) {
  DumpScanner scanner;
  scanner.Feed(FullDump());
  ASSERT_TRUE(scanner.coordinates().has_value());
  EXPECT_EQ(scanner.coordinates()->file, "mysql-bin.000042");
  EXPECT_EQ(scanner.coordinates()->position, 123456789u);
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, CommentSplitAtEveryPossibleBoundary) {
  const std::string dump = FullDump();
  const size_t comment_at = dump.find("-- CHANGE MASTER");
  const size_t comment_end = comment_at + std::string(kChangeMaster).size();
  for (size_t cut = comment_at; cut <= comment_end; ++cut) {
    DumpScanner scanner;
    scanner.Feed(absl::string_view(dump).substr(0, cut));
    scanner.Feed(absl::string_view(dump).substr(cut));
    ASSERT_TRUE(scanner.coordinates().has_value()) << "cut at " << cut;
    EXPECT_EQ(scanner.coordinates()->file, "mysql-bin.000042") << "cut at " << cut;
    // A cut inside the digits must not yield a truncated position.
    EXPECT_EQ(scanner.coordinates()->position, 123456789u) << "cut at " << cut;
    EXPECT_TRUE(scanner.footer_seen());
  }
}

TEST(DumpScannerTest, PositionNotTruncatedWhenDigitsArriveLater) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) +
               "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=12");
  EXPECT_FALSE(scanner.coordinates().has_value());
  scanner.Feed("3456789;\n");
  ASSERT_TRUE(scanner.coordinates().has_value());
  EXPECT_EQ(scanner.coordinates()->position, 123456789u);
}

TEST(DumpScannerTest, ByteByByte) {
  DumpScanner scanner;
  FeedInPieces(scanner, FullDump(), 1);
  ASSERT_TRUE(scanner.coordinates().has_value());
  EXPECT_EQ(scanner.coordinates()->file, "mysql-bin.000042");
  EXPECT_EQ(scanner.coordinates()->position, 123456789u);
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, AbsentComment) {
  DumpScanner scanner;
  FeedInPieces(scanner, std::string(kHead) + kBody + kFooter, 7);
  EXPECT_FALSE(scanner.coordinates().has_value());
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, MalformedComment) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) +
               "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=x;\n" +
               kBody + kFooter);
  EXPECT_FALSE(scanner.coordinates().has_value());
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, CommentBeyondHeaderLimitIsIgnored) {
  // The comment is near the top; the scanner stops looking after 1 MiB.
  DumpScanner scanner;
  std::string filler(64 * 1024, 'x');
  filler.back() = '\n';
  for (int i = 0; i < 20; ++i) scanner.Feed(filler);  // 1.25 MiB
  scanner.Feed(kChangeMaster);
  scanner.Feed(kFooter);
  EXPECT_FALSE(scanner.coordinates().has_value());
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, OnlyTheFirstCommentCounts) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kChangeMaster);
  scanner.Feed(
      "INSERT INTO t VALUES ('-- CHANGE MASTER TO MASTER_LOG_FILE=''evil'', "
      "MASTER_LOG_POS=4;');\n-- CHANGE MASTER TO MASTER_LOG_FILE='other.000001', "
      "MASTER_LOG_POS=4;\n");
  ASSERT_TRUE(scanner.coordinates().has_value());
  EXPECT_EQ(scanner.coordinates()->file, "mysql-bin.000042");
  EXPECT_EQ(scanner.coordinates()->position, 123456789u);
}

TEST(DumpScannerTest, NoDataNoFooter) {
  DumpScanner scanner;
  EXPECT_FALSE(scanner.footer_seen());
  EXPECT_FALSE(scanner.coordinates().has_value());
  scanner.Feed("");
  EXPECT_FALSE(scanner.footer_seen());
}

TEST(DumpScannerTest, MissingFooter) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kChangeMaster + kBody);
  EXPECT_FALSE(scanner.footer_seen());
}

TEST(DumpScannerTest, CutInsideTheFooter) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kBody + "-- Dump compl");
  EXPECT_FALSE(scanner.footer_seen());
}

TEST(DumpScannerTest, FooterWithDate) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kBody + "-- Dump completed on 2024-05-01 12:00:00\n");
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, FooterFollowedByWhitespace) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kBody + kFooter);
  scanner.Feed("\n\n  \t\r\n");
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, FooterWithoutTrailingNewline) {
  DumpScanner scanner;
  scanner.Feed(std::string(kBody) + "-- Dump completed");
  EXPECT_TRUE(scanner.footer_seen());
}

TEST(DumpScannerTest, FooterOnlyCountsOnTheLastLine) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kFooter + "INSERT INTO t VALUES (1);\n");
  EXPECT_FALSE(scanner.footer_seen());
  // A data line that merely contains the text is not the footer either.
  DumpScanner inside;
  inside.Feed("INSERT INTO t VALUES ('x -- Dump completed');\n");
  EXPECT_FALSE(inside.footer_seen());
}

TEST(DumpScannerTest, FooterSplitAcrossChunksAtEveryBoundary) {
  const std::string dump = FullDump();
  const size_t footer_at = dump.rfind(kFooter);
  for (size_t cut = footer_at - 1; cut <= dump.size(); ++cut) {
    DumpScanner scanner;
    scanner.Feed(absl::string_view(dump).substr(0, cut));
    scanner.Feed(absl::string_view(dump).substr(cut));
    EXPECT_TRUE(scanner.footer_seen()) << "cut at " << cut;
  }
}

TEST(DumpScannerTest, FooterAfterLargeChunksAndTinyTail) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + kChangeMaster);
  scanner.Feed(std::string(100000, 'a') + "\n");
  scanner.Feed("-- Dump ");
  scanner.Feed("completed");
  scanner.Feed("\n");
  EXPECT_TRUE(scanner.footer_seen());
  // Data after the footer (a second, cut dump glued on) hides it again.
  scanner.Feed(std::string(1000, 'b'));
  EXPECT_FALSE(scanner.footer_seen());
}

TEST(DumpScannerTest, FooterInsideOneLargeChunk) {
  DumpScanner scanner;
  scanner.Feed(std::string(kHead) + std::string(5000, 'z') + "\n" + kFooter);
  EXPECT_TRUE(scanner.footer_seen());
}

}  // namespace
}  // namespace mmresync::agent
