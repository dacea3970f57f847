#include "agent/target_import.h"

#include <functional>

#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/safety_guard.h"
#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSessionFactory;
using fakes::Rows;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing_util::TempDir;

constexpr char kSchemata[] = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA";
// The node's own replication filters, read before what to drop or disable is decided.
constexpr char kFilters[] = "SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'";
constexpr char kEvents[] =
    "SELECT EVENT_SCHEMA, EVENT_NAME, DEFINER FROM information_schema.EVENTS "
    "WHERE STATUS = 'ENABLED'";
constexpr char kPassword[] = "pw-secret-123";

// The client: records its argv and everything on its stdin next to itself.
constexpr char kRecordingClient[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "printf '%s\\n' \"$@\" > \"$d/argv\"\n"
    "exec cat > \"$d/received\"\n";
// Reads everything, then fails like mariadb on an SQL error.
constexpr char kFailingClient[] =
    "#!/bin/sh\n"
    "cat > /dev/null\n"
    "echo 'ERROR 1064 (42000) at line 7: You have an error in your SQL syntax' >&2\n"
    "exit 1\n";
// Reads one line, then fails without reading the rest (the import keeps writing).
constexpr char kEarlyExitClient[] =
    "#!/bin/sh\n"
    "read first\n"
    "echo \"ERROR 1146 (42S02) at line 2: Table 'app.t' doesn't exist\" >&2\n"
    "exit 1\n";

std::string Hex(absl::string_view data) {
  Sha256 sha;
  sha.Update(data);
  return sha.HexDigest();
}

class FakeDumpStream : public DumpStream {
 public:
  void Push(absl::StatusOr<std::optional<v1::DumpChunk>> message) {
    messages_.push_back(std::move(message));
  }
  void PushData(uint64_t offset, std::string data) {
    v1::DumpChunk c;
    c.set_offset(offset);
    c.set_data(std::move(data));
    Push(std::optional<v1::DumpChunk>(std::move(c)));
  }
  void PushTrailer(uint64_t offset, const v1::DumpTrailer& trailer) {
    v1::DumpChunk c;
    c.set_offset(offset);
    *c.mutable_trailer() = trailer;
    Push(std::optional<v1::DumpChunk>(std::move(c)));
  }
  void PushEnd() { Push(std::optional<v1::DumpChunk>()); }

  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override {
    ++next_calls;
    if (before_first_chunk && next_calls == 1) before_first_chunk();
    if (at_ < messages_.size()) return messages_[at_++];
    return std::optional<v1::DumpChunk>();  // ended cleanly
  }
  void Cancel() override { cancelled = true; }

  int next_calls = 0;
  bool cancelled = false;
  // Runs while the import waits for the first chunk (the source still starting).
  std::function<void()> before_first_chunk;

 private:
  std::vector<absl::StatusOr<std::optional<v1::DumpChunk>>> messages_;
  size_t at_ = 0;
};

constexpr char kBinaryPiece[] =
    "CREATE DATABASE `app`;\nINSERT INTO t VALUES (0x00ff,'a\0b\xff\xfe');\n";

// Data pieces as mariadb-dump would send them, with a NUL and high bytes in the middle.
std::vector<std::string> Pieces() {
  return {
      "-- MariaDB dump\n-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', "
      "MASTER_LOG_POS=1234;\n",
      std::string(kBinaryPiece, sizeof(kBinaryPiece) - 1),
      std::string(200000, 'x') + "\n",
      "-- Dump completed\n",
  };
}

std::string Joined(const std::vector<std::string>& pieces) {
  std::string all;
  for (const auto& p : pieces) all += p;
  return all;
}

v1::DumpTrailer GoodTrailer(const std::vector<std::string>& pieces) {
  std::string all = Joined(pieces);
  v1::DumpTrailer t;
  t.set_bytes(all.size());
  t.set_sha256(Hex(all));
  t.set_footer_seen(true);
  t.set_exit_status(0);
  t.mutable_snapshot()->set_file("mysql-bin.000042");
  t.mutable_snapshot()->set_position(1234);
  t.mutable_snapshot()->set_gtid("0-1-99");
  t.set_global_read_lock_used(true);
  t.set_schemas(2);
  t.set_accounts(3);
  t.set_lock_ms(17);
  return t;
}

// Pushes the pieces with correct offsets and returns the offset after them.
uint64_t PushPieces(FakeDumpStream& stream, const std::vector<std::string>& pieces) {
  uint64_t offset = 0;
  for (const auto& p : pieces) {
    stream.PushData(offset, p);
    offset += p.size();
  }
  return offset;
}

class TargetImportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // As in the agent's main: a client that exits early must not kill the process.
    signal(SIGPIPE, SIG_IGN);
  }

  TargetImportTest() {
    script_.OnQuery(kSchemata, Rows({"SCHEMA_NAME"}, {{"mysql"}, {"app"}, {"old"}, {"sys"}}));
    script_.OnQuery(kEvents,
                    Rows({"EVENT_SCHEMA", "EVENT_NAME", "DEFINER"}, {{"app", "purge", "admin@%"}}));
    UseClient(kRecordingClient);
  }

  void UseClient(const char* text) { client_ = dir_.Write("client.sh", text, 0755); }

  absl::StatusOr<v1::ImportResult> Import(FakeDumpStream& stream) {
    TargetImportParams params;
    params.db = &factory_;
    params.connect.socket = "/run/mysqld/mysqld.sock";
    params.connect.user = "root";
    params.connect.password = kPassword;
    params.state_dir = dir_.path();
    params.client_command = client_;
    params.expected_bytes = 1000;
    params.progress = [this](const v1::Progress& p) { phases_.push_back(p.phase()); };
    params.cancelled = [this] { return cancel_; };
    params.fence_check = fence_check_;
    return ImportFromStream(params, stream);
  }

  bool DroppedAnything() const { return !script_.StatementsStartingWith("DROP").empty(); }
  bool ClientRan() const { return dir_.Exists("received"); }
  bool EventsTouched() const { return !script_.StatementsStartingWith("ALTER").empty(); }

  TempDir dir_;
  std::string client_;
  FakeDbScript script_;
  FakeDbSessionFactory factory_{&script_};
  std::vector<std::string> phases_;
  bool cancel_ = false;
  int fence_checks_ = 0;
  std::function<absl::Status(DbSession&)> fence_check_ = [this](DbSession&) {
    ++fence_checks_;
    return absl::OkStatus();
  };
};

// ---- before anything is dropped ----

TEST_F(TargetImportTest, StreamErrorBeforeFirstChunkDropsNothing) {
  FakeDumpStream stream;
  stream.Push(absl::UnavailableError("connect to db1:7443: connection refused"));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsUnavailable(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr("nothing was dropped"), HasSubstr("connection refused")));
  EXPECT_EQ(script_.sessions_opened(), 0);
  EXPECT_THAT(script_.statements(), IsEmpty());
  EXPECT_FALSE(ClientRan());
}

TEST_F(TargetImportTest, StreamEndingWithoutDataDropsNothing) {
  FakeDumpStream stream;
  stream.PushEnd();
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("nothing was dropped"));
  EXPECT_EQ(script_.sessions_opened(), 0);
  EXPECT_THAT(script_.statements(), IsEmpty());
  EXPECT_FALSE(ClientRan());
}

TEST_F(TargetImportTest, FirstMessageWithoutDataDropsNothing) {
  // A source that sends its trailer straight away has not started a dump.
  FakeDumpStream stream;
  stream.PushTrailer(0, GoodTrailer({}));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(script_.statements(), IsEmpty());
  EXPECT_FALSE(ClientRan());
}

TEST_F(TargetImportTest, DatabaseUnreachableDropsNothing) {
  script_.FailOpen(absl::UnavailableError("mariadb at /run/mysqld/mysqld.sock: ERROR 2002"));
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(script_.statements(), IsEmpty());
  EXPECT_FALSE(ClientRan());
}

// ---- the fence, checked again at the moment of harm ----

class StoppedKeepalived : public KeepalivedController {
 public:
  std::string kind() const override { return "fake"; }
  absl::StatusOr<KeepalivedStatus> Status() override {
    KeepalivedStatus s;
    s.managed = true;
    s.running = running;
    s.detail = running ? "active" : "inactive";
    return s;
  }
  absl::Status Start() override { return absl::UnimplementedError("not in this test"); }
  absl::Status Stop() override { return absl::UnimplementedError("not in this test"); }
  bool running = false;
};

class FenceRecheckTest : public TargetImportTest {
 protected:
  FenceRecheckTest() {
    SetReadOnly("1");
    // The agent's real guard, as agent_service wires it: on the session it is given.
    fence_check_ = [this](DbSession& session) {
      ++fence_checks_;
      SafetyInputs in;
      in.addresses = nullptr;  // no VIP configured: the address part is not asked
      in.keepalived = &keepalived_;
      in.session = &session;
      in.lease = [this] { return lease_; };
      return CheckDestructiveAllowed(in, "to drop and import user data");
    };
  }
  void SetReadOnly(const char* value) {
    script_.OnQuery("SELECT @@GLOBAL.read_only", Rows({"@@GLOBAL.read_only"}, {{value}}));
  }
  // The check the RPC makes when it starts: passes on a fenced node.
  absl::Status CheckAtRpcStart() {
    auto session = factory_.Open();
    if (!session.ok()) return session.status();
    return fence_check_(**session);
  }

  StoppedKeepalived keepalived_;
  absl::Status lease_ = absl::OkStatus();
};

TEST_F(FenceRecheckTest, ReadOnlyTurnedOffBeforeTheFirstChunkDropsNothing) {
  ASSERT_TRUE(CheckAtRpcStart().ok());
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  stream.before_first_chunk = [this] { SetReadOnly("0"); };  // someone unfenced the node
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr("read_only is OFF"), HasSubstr("nothing was dropped")));
  EXPECT_FALSE(DroppedAnything());
  EXPECT_THAT(script_.StatementsStartingWith("SET SESSION sql_log_bin"), IsEmpty());
  EXPECT_FALSE(ClientRan());
  EXPECT_EQ(fence_checks_, 2);  // at the RPC's start, and again at the first chunk
}

TEST_F(FenceRecheckTest, KeepalivedStartedBeforeTheFirstChunkDropsNothing) {
  ASSERT_TRUE(CheckAtRpcStart().ok());
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  stream.before_first_chunk = [this] { keepalived_.running = true; };
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("keepalived is running"));
  EXPECT_FALSE(DroppedAnything());
  EXPECT_FALSE(ClientRan());
}

TEST_F(FenceRecheckTest, LeaseLostBeforeTheFirstChunkDropsNothing) {
  ASSERT_TRUE(CheckAtRpcStart().ok());
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  stream.before_first_chunk = [this] {
    lease_ = absl::FailedPreconditionError("run r1 holds no lease on this node (expired)");
  };
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr("no lease"), HasSubstr("nothing was dropped")));
  EXPECT_FALSE(DroppedAnything());
  EXPECT_FALSE(ClientRan());
}

TEST_F(FenceRecheckTest, CheckedOnTheDroppingSessionRightBeforeTheDrop) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  ASSERT_TRUE(Import(stream).ok());
  // One session: the check read read_only on the session that then dropped.
  EXPECT_EQ(script_.sessions_opened(), 1);
  const int check = script_.IndexOf("SELECT @@GLOBAL.read_only");
  const int drop = script_.IndexOfPrefix("DROP DATABASE");
  ASSERT_GE(check, 0);
  ASSERT_GE(drop, 0);
  EXPECT_LT(check, drop);
  EXPECT_EQ(fence_checks_, 2);  // before the drop, and before the import
}

TEST_F(FenceRecheckTest, FenceUndoneDuringTheDropImportsNothing) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  // read_only is switched off while the drop runs (it may wait on metadata locks).
  auto inner = fence_check_;
  fence_check_ = [this, inner](DbSession& session) {
    if (fence_checks_ == 1) SetReadOnly("0");  // after the first check passed
    return inner(session);
  };
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr("read_only is OFF"), HasSubstr("nothing was imported")));
  EXPECT_TRUE(DroppedAnything());
  EXPECT_FALSE(ClientRan());
  EXPECT_EQ(stream.next_calls, 1);  // nothing more was read from the source
}

TEST_F(TargetImportTest, WithoutAFenceCheckNothingIsDropped) {
  fence_check_ = nullptr;
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("fence check"));
  EXPECT_THAT(script_.statements(), IsEmpty());
  EXPECT_FALSE(ClientRan());
}

// ---- the happy path ----

TEST_F(TargetImportTest, GoodStreamIsImportedExactly) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_TRUE(result.ok()) << result.status();

  const std::string all = Joined(pieces);
  EXPECT_EQ(result->source_snapshot().file(), "mysql-bin.000042");
  EXPECT_EQ(result->source_snapshot().position(), 1234u);
  EXPECT_EQ(result->source_snapshot().gtid(), "0-1-99");
  EXPECT_EQ(result->bytes(), all.size());
  EXPECT_EQ(result->sha256(), Hex(all));
  EXPECT_TRUE(result->global_read_lock_used());
  EXPECT_EQ(result->schemas(), 2u);
  EXPECT_EQ(result->accounts(), 3u);
  EXPECT_EQ(result->events_disabled(), 1u);
  EXPECT_EQ(result->source_lock_ms(), 17u);

  // The client got sql_log_bin=0 first, then every byte in order, nothing else.
  const std::string received = dir_.Read("received");
  EXPECT_EQ(received.size(), all.size() + 27);
  EXPECT_TRUE(received == "SET SESSION sql_log_bin=0;\n" + all) << "content differs";
  EXPECT_FALSE(stream.cancelled);

  // The password reached the client only through its defaults file, never argv.
  const std::string argv = dir_.Read("argv");
  EXPECT_THAT(argv, HasSubstr("--defaults-file=" + dir_.path() + "/"));
  EXPECT_THAT(argv, HasSubstr("--init-command=SET SESSION sql_log_bin=0"));
  EXPECT_THAT(argv, Not(HasSubstr("--force")));
  EXPECT_THAT(argv, Not(HasSubstr(kPassword)));
}

TEST_F(TargetImportTest, DropsAfterBinlogOffThenDisablesEvents) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  ASSERT_TRUE(Import(stream).ok());
  EXPECT_THAT(script_.statements(),
              ElementsAre("SET SESSION sql_log_bin = 0", kFilters, "SHOW MASTER STATUS", kSchemata,
                          "DROP DATABASE `app`", "DROP DATABASE `old`",
                          "SET SESSION sql_log_bin = 0", kEvents, kFilters, "SHOW MASTER STATUS",
                          "ALTER DEFINER='admin'@'%' EVENT `app`.`purge` DISABLE ON SLAVE"));
  EXPECT_EQ(script_.sessions_opened(), 1);
  EXPECT_THAT(phases_, Contains("drop"));
  EXPECT_THAT(phases_, Contains("finalize"));
  EXPECT_EQ(phases_.front(), "stream");
}

TEST_F(TargetImportTest, DefaultsFileWithThePasswordIsRemovedAfterwards) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  ASSERT_TRUE(Import(stream).ok());
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "client.sh" || name == "argv" || name == "received") << name;
  }
}

// ---- a bad stream after the drop: the step fails with DataLoss ----

TEST_F(TargetImportTest, OffsetGapIsDataLoss) {
  FakeDumpStream stream;
  stream.PushData(0, "abc");
  stream.PushData(5, "def");  // 3..4 missing
  stream.PushTrailer(8, GoodTrailer({"abc", "xx", "def"}));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("offset 5"));
  EXPECT_TRUE(stream.cancelled);
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, RepeatedChunkIsDataLoss) {
  FakeDumpStream stream;
  stream.PushData(0, "abc");
  stream.PushData(0, "abc");
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
}

TEST_F(TargetImportTest, TrailerAtWrongOffsetIsDataLoss) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  uint64_t end = PushPieces(stream, pieces);
  stream.PushTrailer(end + 1, GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
}

TEST_F(TargetImportTest, ChecksumMismatchIsDataLoss) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  v1::DumpTrailer trailer = GoodTrailer(pieces);
  std::vector<std::string> other = pieces;
  other[2][100] = 'y';  // one byte differs at the source
  trailer.set_sha256(Hex(Joined(other)));
  stream.PushTrailer(PushPieces(stream, pieces), trailer);
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("checksum"));
  EXPECT_TRUE(stream.cancelled);
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, StreamCutWithoutTrailerIsDataLoss) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  PushPieces(stream, pieces);
  stream.PushEnd();
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("without a trailer"));
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, StreamErrorMidwayFails) {
  FakeDumpStream stream;
  stream.PushData(0, "abc");
  stream.Push(absl::UnavailableError("stream reset by peer"));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsUnavailable(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("stream reset by peer"));
  EXPECT_TRUE(stream.cancelled);
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, TrailerByteCountMismatchIsDataLoss) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  v1::DumpTrailer trailer = GoodTrailer(pieces);
  trailer.set_bytes(trailer.bytes() + 10);
  stream.PushTrailer(PushPieces(stream, pieces), trailer);
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("bytes"));
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, FooterNotSeenIsDataLoss) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  v1::DumpTrailer trailer = GoodTrailer(pieces);
  trailer.set_footer_seen(false);
  stream.PushTrailer(PushPieces(stream, pieces), trailer);
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("footer"));
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, SourceDumpExitStatusIsDataLoss) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  v1::DumpTrailer trailer = GoodTrailer(pieces);
  trailer.set_exit_status(2);
  stream.PushTrailer(PushPieces(stream, pieces), trailer);
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsDataLoss(result.status())) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("exit status 2"));
}

TEST_F(TargetImportTest, CancelledStopsTheImport) {
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  cancel_ = true;
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsCancelled(result.status())) << result.status();
  EXPECT_TRUE(stream.cancelled);
  EXPECT_FALSE(EventsTouched());
}

// ---- the client fails ----

TEST_F(TargetImportTest, ClientErrorQuotesItsStderr) {
  UseClient(kFailingClient);
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr("client.sh exited 1"), HasSubstr("ERROR 1064 (42000) at line 7")));
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, ClientExitingWhileWeWriteQuotesItsStderr) {
  UseClient(kEarlyExitClient);
  FakeDumpStream stream;
  // Far more than a pipe holds, so writing must notice the client is gone.
  std::vector<std::string> pieces = {"first line\n", std::string(4 << 20, 'q'),
                                     "-- Dump completed\n"};
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()),
              AllOf(HasSubstr("exited 1"), HasSubstr("ERROR 1146 (42S02)")));
  EXPECT_TRUE(stream.cancelled);
  EXPECT_FALSE(EventsTouched());
}

TEST_F(TargetImportTest, MissingClientFailsClearly) {
  client_ = dir_.File("no-such-client");
  FakeDumpStream stream;
  std::vector<std::string> pieces = Pieces();
  stream.PushTrailer(PushPieces(stream, pieces), GoodTrailer(pieces));
  auto result = Import(stream);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("no-such-client"));
}

}  // namespace
}  // namespace mmresync::agent
