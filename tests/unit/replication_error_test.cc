#include "coordinator/replication_error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/replica_status_fixture.h"

namespace mmresync::coordinator {
namespace {

using ::testing::HasSubstr;
using testing_util::Replica;

TEST(StoppedReplicationErrorTest, AStoppedSqlThreadFailsWithItsEscapedError) {
  v1::ReplicaStatus r = Replica("Yes", "No");
  r.set_last_sql_errno(1062);
  r.set_last_sql_error("Duplicate entry '7\n\x1b[31m' for key 'PRIMARY'");
  auto s = StoppedReplicationError("db2", r);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(absl::IsFailedPrecondition(*s));
  std::string m(s->message());
  EXPECT_THAT(m, HasSubstr("db2: replication SQL thread stopped with error 1062"));
  EXPECT_THAT(m, HasSubstr("Duplicate entry '7\\n\\x1b[31m' for key 'PRIMARY'"));
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(m.find('\x1b'), std::string::npos);
}

TEST(StoppedReplicationErrorTest, AStoppedIoThreadFails) {
  v1::ReplicaStatus r = Replica("No", "Yes");
  r.set_last_io_errno(1236);
  r.set_last_io_error("Could not find first log file name in binary log index file");
  auto s = StoppedReplicationError("db1", r);
  ASSERT_TRUE(s.has_value());
  EXPECT_THAT(std::string(s->message()), HasSubstr("IO thread stopped with error 1236"));
}

TEST(StoppedReplicationErrorTest, RunningRetryingOrCleanlyStoppedIsNotAnError) {
  EXPECT_FALSE(StoppedReplicationError("db1", Replica("Yes", "Yes")).has_value());
  v1::ReplicaStatus connecting = Replica("Connecting", "Yes");
  connecting.set_last_io_errno(2003);  // retries by itself
  EXPECT_FALSE(StoppedReplicationError("db1", connecting).has_value());
  EXPECT_FALSE(StoppedReplicationError("db1", Replica("No", "No")).has_value());
  v1::ReplicaStatus unconfigured;
  EXPECT_FALSE(StoppedReplicationError("db1", unconfigured).has_value());
}

}  // namespace
}  // namespace mmresync::coordinator
