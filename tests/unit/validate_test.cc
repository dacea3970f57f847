#include "common/validate.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

using ::testing::HasSubstr;

// Hostile strings that no identifier-like field may accept.
std::vector<std::string> Hostile() {
  return {
      "",
      "a'b",
      "a\"b",
      "a`b",
      "a\\b",
      "a b",
      "a\nb",
      "a\rb",
      "a\tb",
      std::string("a\0b", 3),
      std::string(1, '\0'),
      "a;DROP DATABASE x",
      "a/b",
      "../x",
      "x/../../etc/passwd",
      "$(reboot)",
      "a*",
      "a%",
      "\xc3\xa9t\xc3\xa9",  // UTF-8 "été"
  };
}

void ExpectInvalid(const absl::Status& s, const std::string& field, const std::string& input) {
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << "input \"" << input << "\": " << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(field)) << "input \"" << input << "\"";
}

TEST(ValidateNodeNameTest, Good) {
  for (const char* v : {"db1", "db-2", "db_3", "db.example.com", "A", "0"}) {
    EXPECT_TRUE(ValidateNodeName("node", v).ok()) << v;
  }
  EXPECT_TRUE(ValidateNodeName("node", std::string(64, 'n')).ok());
}

TEST(ValidateNodeNameTest, Bad) {
  for (const std::string& v : Hostile())
    ExpectInvalid(ValidateNodeName("peer_node", v), "peer_node", v);
  ExpectInvalid(ValidateNodeName("peer_node", std::string(65, 'n')), "peer_node", "65 chars");
  ExpectInvalid(ValidateNodeName("peer_node", "db1:3306"), "peer_node", "db1:3306");
}

TEST(ValidateRunIdTest, GoodAndBad) {
  EXPECT_TRUE(ValidateRunId("20240501-120000-ab12").ok());
  EXPECT_TRUE(ValidateRunId("run_1").ok());
  EXPECT_TRUE(ValidateRunId(std::string(64, 'r')).ok());
  for (const std::string& v : Hostile()) ExpectInvalid(ValidateRunId(v), "run_id", v);
  ExpectInvalid(ValidateRunId(std::string(65, 'r')), "run_id", "65 chars");
  ExpectInvalid(ValidateRunId("run.1"), "run_id", "run.1");  // no dots: used in file names
  ExpectInvalid(ValidateRunId(".."), "run_id", "..");
}

TEST(ValidateTokenTest, GoodAndBad) {
  const std::string good = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  ASSERT_EQ(good.size(), 64u);
  EXPECT_TRUE(ValidateToken(good).ok());
  std::string upper = good;
  upper[10] = 'A';
  ExpectInvalid(ValidateToken(upper), "token", upper);
  ExpectInvalid(ValidateToken(good.substr(0, 63)), "token", "63 chars");
  ExpectInvalid(ValidateToken(good + "0"), "token", "65 chars");
  ExpectInvalid(ValidateToken(""), "token", "empty");
  std::string with_nul = good;
  with_nul[5] = '\0';
  ExpectInvalid(ValidateToken(with_nul), "token", "NUL");
  std::string with_g = good;
  with_g[63] = 'g';
  ExpectInvalid(ValidateToken(with_g), "token", with_g);
}

TEST(ValidateBinlogFileTest, Good) {
  for (const char* v : {"mysql-bin.000042", "mariadb-bin.000001", "db1-bin.999999", "binlog_1.0"}) {
    EXPECT_TRUE(ValidateBinlogFile("master_log_file", v).ok()) << v;
  }
  EXPECT_TRUE(ValidateBinlogFile("f", std::string(255, 'b')).ok());
}

TEST(ValidateBinlogFileTest, PathTraversalAndHostile) {
  for (const std::string& v : Hostile()) {
    ExpectInvalid(ValidateBinlogFile("master_log_file", v), "master_log_file", v);
  }
  for (const char* v : {".", "..", "../x", "..\\x", "/etc/passwd", "./mysql-bin.000001",
                        "mysql-bin.000001/..", "mysql-bin.000001'"}) {
    ExpectInvalid(ValidateBinlogFile("master_log_file", v), "master_log_file", v);
  }
  ExpectInvalid(ValidateBinlogFile("master_log_file", std::string(256, 'b')), "master_log_file",
                "256 chars");
}

TEST(ValidateBinlogPositionTest, Range) {
  for (uint64_t v : {0ull, 1ull, 2ull, 3ull}) {
    ExpectInvalid(ValidateBinlogPosition("master_log_pos", v), "master_log_pos", std::to_string(v));
  }
  EXPECT_TRUE(ValidateBinlogPosition("master_log_pos", 4).ok());
  EXPECT_TRUE(ValidateBinlogPosition("master_log_pos", 123456789).ok());
  const uint64_t max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(ValidateBinlogPosition("master_log_pos", max).ok());
  ExpectInvalid(ValidateBinlogPosition("master_log_pos", max + 1), "master_log_pos", "2^63");
  ExpectInvalid(ValidateBinlogPosition("master_log_pos", std::numeric_limits<uint64_t>::max()),
                "master_log_pos", "2^64-1");
}

TEST(ValidateHostTest, GoodAndBad) {
  for (const char* v :
       {"db1", "db1.example.com", "10.0.0.1", "::1", "fe80::1", "2001:db8::100", "my_host-1"}) {
    EXPECT_TRUE(ValidateHost("master_host", v).ok()) << v;
  }
  EXPECT_TRUE(ValidateHost("master_host", std::string(253, 'h')).ok());
  for (const std::string& v : Hostile())
    ExpectInvalid(ValidateHost("master_host", v), "master_host", v);
  ExpectInvalid(ValidateHost("master_host", std::string(254, 'h')), "master_host", "254 chars");
  ExpectInvalid(ValidateHost("master_host", "db1', MASTER_PASSWORD='x"), "master_host", "quote");
  ExpectInvalid(ValidateHost("master_host", "[::1]"), "master_host", "brackets");
  ExpectInvalid(ValidateHost("master_host", "fe80::1%eth0"), "master_host", "scope");
}

TEST(ValidatePortTest, Range) {
  ExpectInvalid(ValidatePort("master_port", 0), "master_port", "0");
  EXPECT_TRUE(ValidatePort("master_port", 1).ok());
  EXPECT_TRUE(ValidatePort("master_port", 3306).ok());
  EXPECT_TRUE(ValidatePort("master_port", 65535).ok());
  ExpectInvalid(ValidatePort("master_port", 65536), "master_port", "65536");
  ExpectInvalid(ValidatePort("master_port", 1ull << 32), "master_port", "2^32");
  ExpectInvalid(ValidatePort("master_port", (1ull << 32) + 3306), "master_port", "2^32+3306");
}

TEST(ValidateHostPortTest, Good) {
  for (const char* v :
       {"db1:7443", "10.0.0.1:7443", "[::1]:7443", "[2001:db8::1]:1", "agent.example.com:65535"}) {
    EXPECT_TRUE(ValidateHostPort("source_agent", v).ok()) << v;
  }
}

TEST(ValidateHostPortTest, Bad) {
  for (const char* v : {"db1", "db1:", ":7443", "db1:0", "db1:65536", "db1:99999999999", "db1:-1",
                        "db1:port", "db'1:7443", "db1;x:7443", "[]:7443", "[::1:7443", "db 1:7443",
                        "../x:7443", "db1:7443/x"}) {
    ExpectInvalid(ValidateHostPort("source_agent", v), "source_agent", v);
  }
  ExpectInvalid(ValidateHostPort("source_agent", std::string("db1\0:7443", 9)), "source_agent",
                "NUL");
  ExpectInvalid(ValidateHostPort("source_agent", "db1\n:7443"), "source_agent", "newline");
}

TEST(ValidateGtidListTest, Good) {
  for (const char* v : {"", "0-1-100", "0-1-100,1-2-3", "0-1-100, 1-2-3", "4294967295-1-1",
                        "0-1-18446744073709551615"}) {
    EXPECT_TRUE(ValidateGtidList("gtid", v).ok()) << v;
  }
}

TEST(ValidateGtidListTest, Bad) {
  for (const char* v : {"0-1", "0-1-2-3", "a-b-c", "0-1-x", "0-1-100,", ",0-1-100", "0-1-100;",
                        "0-1-100' OR '1'='1", "0--1-5", "-1-2", "0-1-18446744073709551616",
                        "0-1-100,,1-2-3", "0_1_2"}) {
    ExpectInvalid(ValidateGtidList("gtid_slave_pos", v), "gtid_slave_pos", v);
  }
  ExpectInvalid(ValidateGtidList("gtid", std::string("0-1-1\0", 6)), "gtid", "NUL");
  std::string long_list = "0-1-1";
  while (long_list.size() <= 4096) long_list += ",0-1-1";
  ExpectInvalid(ValidateGtidList("gtid", long_list), "gtid", "too long");
}

}  // namespace
}  // namespace mmresync
