// The fault matrix on real processes, each fault placed with a fault point rather than
// by timing: kill -9 of the coordinator at every step boundary, kill -9 of the target's
// mariadbd mid-import, a full disk under the target's backups, and a coordinator frozen
// past its lease. Throughout each, a writer inserts numbered rows into the source and
// counts what was acknowledged. After each: the source takes writes, the target is
// fenced (read_only, keepalived stopped) or healthy, `recover --resume` completes, every
// acknowledged row is on both nodes exactly once, and `verify` passes.

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/files.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/acked_writer.h"
#include "tests/harness/cluster_suite.h"
#include "tests/harness/fault_points.h"
#include "tests/harness/wait.h"

namespace mmresync::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kTimeout = absl::Seconds(120);

// Bytes a copy of `dir` takes on a tmpfs (each file rounded up to whole pages).
uint64_t TmpfsBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += (it->file_size(ec) + 4095) / 4096 * 4096 + 4096;
  }
  return total;
}

// A mariadbd's whole datadir moved onto a tmpfs with `spare` bytes free (the server
// stopped around the move), so that the disk under it fills; Restore() moves it back.
class DatadirOnTmpfs {
 public:
  explicit DatadirOnTmpfs(MariadbInstance& db) : db_(db), disk_(db.data_dir() + ".disk") {}
  ~DatadirOnTmpfs() { (void)Restore(); }

  absl::Status Mount(uint64_t spare) {
    RETURN_IF_ERROR(db_.Stop());
    const std::string data = db_.data_dir();
    std::error_code ec;
    std::filesystem::rename(data, disk_, ec);
    if (ec) return absl::InternalError(absl::StrCat("rename ", data, ": ", ec.message()));
    moved_ = true;
    std::filesystem::create_directory(data, ec);
    const std::string size = absl::StrCat("size=", TmpfsBytes(disk_) + spare, ",mode=0700");
    if (ec || ::mount("tmpfs", data.c_str(), "tmpfs", 0, size.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("mount tmpfs (", size, ") on ", data, ": ",
                                              ec ? ec.message() : std::strerror(errno)));
    }
    mounted_ = true;
    std::filesystem::copy(disk_, data, std::filesystem::copy_options::recursive, ec);
    if (ec) return absl::InternalError(absl::StrCat("copying ", disk_, ": ", ec.message()));
    return db_.Restart();
  }

  // Fills the filesystem with a ballast file until `leave` bytes are free.
  absl::Status Fill(uint64_t leave) {
    struct statvfs fs;
    if (::statvfs(db_.data_dir().c_str(), &fs) != 0) {
      return absl::InternalError(absl::StrCat("statvfs: ", std::strerror(errno)));
    }
    const uint64_t free = uint64_t{fs.f_bavail} * fs.f_frsize;
    if (free <= leave) return absl::OkStatus();
    const int fd = ::open(Ballast().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return absl::InternalError(absl::StrCat("open ballast: ", std::strerror(errno)));
    const int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(free - leave));
    ::close(fd);
    if (rc != 0) return absl::InternalError(absl::StrCat("fallocate: ", std::strerror(rc)));
    return absl::OkStatus();
  }

  // Room again, as when an operator frees space on the filesystem.
  absl::Status FreeSpace() {
    if (::unlink(Ballast().c_str()) != 0) {
      return absl::InternalError(absl::StrCat("rm ballast: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status Restore() {
    if (!moved_) return absl::OkStatus();
    RETURN_IF_ERROR(db_.Stop());
    const std::string data = db_.data_dir();
    std::error_code ec;
    if (mounted_) {
      std::filesystem::remove_all(disk_, ec);
      std::filesystem::copy(data, disk_, std::filesystem::copy_options::recursive, ec);
      if (ec) return absl::InternalError(absl::StrCat("copying back ", data, ": ", ec.message()));
      if (::umount2(data.c_str(), MNT_DETACH) != 0) {
        return absl::InternalError(absl::StrCat("umount ", data, ": ", std::strerror(errno)));
      }
      mounted_ = false;
    }
    std::filesystem::remove(data, ec);
    std::filesystem::rename(disk_, data, ec);
    if (ec) return absl::InternalError(absl::StrCat("rename ", disk_, ": ", ec.message()));
    moved_ = false;
    return db_.Restart();
  }

 private:
  MariadbInstance& db_;
  std::string disk_;
  bool moved_ = false;
  bool mounted_ = false;

  std::string Ballast() const { return db_.data_dir() + "/ballast"; }
};

// Whether `status --json` shows no lease on either agent.
bool NoLeaseHeld(const std::string& status_json) {
  google::protobuf::Struct parsed;
  if (!google::protobuf::util::JsonStringToMessage(status_json, &parsed).ok()) return false;
  auto nodes = parsed.fields().find("nodes");
  if (nodes == parsed.fields().end() || nodes->second.list_value().values_size() != 2) return false;
  for (const auto& node : nodes->second.list_value().values()) {
    auto holder = node.struct_value().fields().find("lease_holder");
    if (holder == node.struct_value().fields().end() || !holder->second.string_value().empty()) {
      return false;
    }
  }
  return true;
}

class FaultMatrixTest : public ClusterSuite {
 protected:
  static void SetUpTestSuite() {
    RecoveryClusterOptions options;
    options.fake_keepalived = true;
    options.mariadb_service = true;  // the physical method stops and starts db2's mariadbd
    StartCluster(options);
    if (cluster_ == nullptr) return;
    // ~6 MiB: a stream long enough for a byte fault point to land inside it.
    std::vector<std::string> setup = {
        "CREATE DATABASE bulk",
        "CREATE TABLE crm.acked (id INT PRIMARY KEY, at DATETIME(6)) ENGINE=InnoDB",
        "CREATE TABLE bulk.filler (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB",
        "INSERT INTO bulk.filler SELECT seq, REPEAT(CHAR(65 + seq % 26), 150) "
        "FROM bulk.seq_1_to_40000"};
    if (absl::Status s = pair().ExecAll(kDb1, setup); !s.ok()) {
      *startup_error_ = s;
      TearDownTestSuite();
      return;
    }
    if (absl::Status s = pair().WaitInSync(kTimeout); !s.ok()) {
      *startup_error_ = s;
      TearDownTestSuite();
    }
  }

  void SetUp() override { ExpectHealthyOrRepair(); }

  static bool NoLeaseHeld() {
    return mmresync::testing::NoLeaseHeld(Cli({"status", "--json"}).out);
  }

  // A fresh marker directory per case.
  static FaultPoints Faults(const std::string& name) {
    return FaultPoints(absl::StrCat(cluster().base_dir(), "/faults-", name));
  }

  // Breaks db2 (a 1062 on its SQL thread) and starts the writer on db1 with ids from
  // `first`; returns once it is acknowledged.
  static std::unique_ptr<AckedWriter> BreakAndWrite(int case_id, int first) {
    EXPECT_OK(BreakWithDuplicateKey(kDb2, kDb1, case_id));
    auto writer = std::make_unique<AckedWriter>(
        pair().node(kDb1).RootParams(), first, first + 900000, [](int id) {
          return absl::StrCat("INSERT INTO crm.acked (id, at) VALUES (", id, ", NOW(6))");
        });
    EXPECT_OK(WaitUntil([&] { return writer->acked() >= first + 10; }, kTimeout,
                        absl::Milliseconds(5), "the writer to get going"));
    return writer;
  }

  // After the resume: every acknowledged row once on both nodes, the broken row
  // repaired, equal checksums, and `verify` passes.
  static void ExpectEveryAckedRowOnceAndVerified(AckedWriter& writer, int first, int case_id) {
    ExpectEveryAckedRowOnceOnBoth(writer, first);
    EXPECT_EQ(Value(kDb2, absl::StrCat("SELECT name FROM shop.customers WHERE id = ", case_id)),
              "from master");
    CliResult verified = Cli({"verify"});
    EXPECT_EQ(verified.exit_code, 0) << verified.Describe();
    EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "0");
    EXPECT_TRUE(cluster().keepalived_running(kDb2));
  }

  // The coordinator dies (kill -9) while the target's agent is paused at `point` of a delta
  // repair; let go, the agent finds its import cancelled and ends it there. The target
  // stays fenced, the source takes writes, and the resume (another coordinator taking over
  // the run) compares again and repairs.
  static void CoordinatorKilledWhileTheTargetIsPausedAt(const std::string& point, int case_id,
                                                        int first, bool nothing_replaced_yet) {
    FaultPoints faults = Faults(absl::StrCat("delta-coordinator-", point));
    ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), point + "=pause"));
    auto writer = BreakAndWrite(case_id, first);

    auto cli = StartCli({"recover", "--source", "db1", "--yes", "--method", "delta"});
    ASSERT_OK(cli.status());
    absl::Status paused = faults.WaitHit(point, kTimeout);
    (*cli)->Signal(SIGKILL);
    auto ended = (*cli)->Wait(kTimeout);
    ASSERT_OK(paused);
    ASSERT_OK(ended.status());
    EXPECT_EQ(ended->exit_code, 128 + SIGKILL) << ended->Describe();
    const size_t log_from = LogSize(kDb2);
    ASSERT_OK(faults.Release(point));
    ASSERT_OK(WaitForLog(kDb2, log_from, "cancelled", kTimeout));
    ExpectSourceWritableTargetFenced(*writer);
    if (nothing_replaced_yet) {
      EXPECT_NE(Value(kDb2, absl::StrCat("SELECT name FROM shop.customers WHERE id = ", case_id)),
                "from master")
          << "nothing is replaced before the compare is done";
    }

    CliResult resumed = Cli({"recover", "--resume", "--yes"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
    EXPECT_THAT(resumed.err, HasSubstr("took over run")) << resumed.Describe();
    EXPECT_THAT(resumed.output(), HasSubstr("method delta")) << resumed.Describe();
    ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
  }
};

// kill -9 of the coordinator at each step boundary. step_ran:X is after step X's
// effect and before its "done" record; step_done:X is after the record, before the
// next step.
class CoordinatorKillTest : public FaultMatrixTest,
                            public ::testing::WithParamInterface<std::string> {};

TEST_P(CoordinatorKillTest, Kill9AtAStepBoundaryThenResumeCompletes) {
  static int case_number = 0;
  const int case_id = 960000 + ++case_number;
  const int first = case_number * 1000000;
  const std::string point = GetParam();
  FaultPoints faults = Faults(absl::StrCat("kill-", case_number));
  auto writer = BreakAndWrite(case_id, first);

  auto cli = StartCli({"recover", "--source", "db1", "--yes"}, faults.Env(point + "=kill"));
  ASSERT_OK(cli.status());
  auto ended = (*cli)->Wait(kTimeout);
  ASSERT_OK(ended.status());
  ASSERT_TRUE(faults.Hit(point)) << ended->Describe();
  EXPECT_EQ(ended->exit_code, 128 + SIGKILL) << ended->Describe();
  ExpectSourceWritableTargetFenced(*writer);

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_THAT(resumed.err, HasSubstr("took over run")) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

INSTANTIATE_TEST_SUITE_P(EveryStepBoundary, CoordinatorKillTest,
                         ::testing::Values("step_done:fence-target", "step_done:backup-target",
                                           "step_ran:stream-import", "step_done:phase1",
                                           "step_done:phase2"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == ':' || c == '-') c = '_';
                           }
                           return name;
                         });

// The target's mariadbd dies (kill -9) while the stream is being imported, and is
// started again: the run fails, the target stays fenced, and the resume re-imports.
TEST_F(FaultMatrixTest, TargetMariadbdKilledMidImportThenResumeCompletes) {
  const int case_id = 970001;
  const int first = 70000000;
  FaultPoints faults = Faults("mariadbd");
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "target_stream:1048576=pause"));
  auto writer = BreakAndWrite(case_id, first);

  auto cli = StartCli({"recover", "--source", "db1", "--yes"});
  ASSERT_OK(cli.status());
  ASSERT_OK(faults.WaitHit("target_stream", kTimeout));
  ASSERT_OK(pair().node(kDb2).Kill());
  ASSERT_OK(pair().node(kDb2).Restart());
  // The server comes back with my.cnf's read_only=OFF; while the run holds the lease,
  // the agent sets it ON again (FenceKeeper), before anything else happens.
  ASSERT_OK(WaitUntil([&] { return Value(kDb2, "SELECT @@GLOBAL.read_only") == "1"; },
                      absl::Seconds(5), absl::Milliseconds(20),
                      "db2's agent to fence its restarted mariadbd again"));
  ASSERT_OK(faults.Release("target_stream"));
  auto ended = (*cli)->Wait(kTimeout);
  ASSERT_OK(ended.status());
  EXPECT_EQ(ended->exit_code, 1) << ended->Describe();
  EXPECT_THAT(ended->output(), HasSubstr("recover --resume")) << ended->Describe();
  ExpectSourceWritableTargetFenced(*writer);

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

// The target's agent dies (kill -9, from its fault point) right after it dropped the
// user schemas, before anything was imported: the run fails, the target stays fenced
// with no user data, and once the agent is back the resume imports it all.
TEST_F(FaultMatrixTest, TargetAgentKilledRightAfterTheDropThenResumeCompletes) {
  const int case_id = 970006;
  const int first = 73000000;
  FaultPoints faults = Faults("after-drop");
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "after_drop=kill"));
  auto writer = BreakAndWrite(case_id, first);

  CliResult failed = Cli({"recover", "--source", "db1", "--yes"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  ASSERT_TRUE(faults.Hit("after_drop")) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("recover --resume")) << failed.Describe();
  EXPECT_EQ(Value(kDb2,
                  "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME "
                  "IN ('shop', 'crm', 'bulk')"),
            "0");
  ExpectSourceWritableTargetFenced(*writer);

  ASSERT_OK(cluster().agent(kDb2).Restart());
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

// Delta method: the target's agent dies (kill -9, from its fault point) after comparing
// (nothing replaced yet) or after repairing its first table (the repair half done). The
// run fails, the target stays fenced, and the resume repairs what is still different.
class DeltaAgentKillTest : public FaultMatrixTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(DeltaAgentKillTest, TargetAgentKilledThenResumeRepairsTheRest) {
  static int case_number = 0;
  const int case_id = 975000 + ++case_number;
  const int first = 80000000 + case_number * 1000000;
  const std::string point = GetParam();
  FaultPoints faults = Faults(absl::StrCat("delta-", point));
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), point + "=kill"));
  auto writer = BreakAndWrite(case_id, first);

  CliResult failed = Cli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  ASSERT_TRUE(faults.Hit(point)) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("recover --resume")) << failed.Describe();
  ExpectSourceWritableTargetFenced(*writer);
  if (point == "delta_compared") {
    EXPECT_NE(Value(kDb2, absl::StrCat("SELECT name FROM shop.customers WHERE id = ", case_id)),
              "from master")
        << "nothing is replaced before the compare is done";
  }

  ASSERT_OK(cluster().agent(kDb2).Restart());
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_THAT(resumed.output(), HasSubstr("method delta")) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

INSTANTIATE_TEST_SUITE_P(CompareAndApply, DeltaAgentKillTest,
                         ::testing::Values("delta_compared", "delta_table_applied"));

// Paused after its first compared table: nothing replaced yet.
TEST_F(FaultMatrixTest, CoordinatorKilledMidCompareThenResumeCompletes) {
  CoordinatorKilledWhileTheTargetIsPausedAt("delta_table_compared", 970009, 76000000,
                                            /*nothing_replaced_yet=*/true);
}

// Paused after its first repaired table: part of the repair done, the rest after the
// resume.
TEST_F(FaultMatrixTest, CoordinatorKilledMidApplyThenResumeCompletes) {
  CoordinatorKilledWhileTheTargetIsPausedAt("delta_table_applied", 970010, 77000000,
                                            /*nothing_replaced_yet=*/false);
}

// The source's agent dies (kill -9) while the target compares, between two tables: the
// target's next digest request finds no source, the run fails naming it, the target
// stays fenced with nothing replaced, and the source (its snapshot connections gone with
// its agent) takes writes. With the agent back, the resume compares again and repairs.
TEST_F(FaultMatrixTest, SourceAgentKilledMidCompareThenResumeCompletes) {
  const int case_id = 970011;
  const int first = 78000000;
  FaultPoints faults = Faults("delta-source-killed");
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "delta_table_compared=pause"));
  auto writer = BreakAndWrite(case_id, first);

  auto cli = StartCli({"recover", "--source", "db1", "--yes", "--method", "delta"});
  ASSERT_OK(cli.status());
  ASSERT_OK(faults.WaitHit("delta_table_compared", kTimeout));
  ASSERT_OK(cluster().agent(kDb1).Kill());
  ASSERT_OK(faults.Release("delta_table_compared"));
  auto ended = (*cli)->Wait(kTimeout);
  ASSERT_OK(ended.status());
  EXPECT_EQ(ended->exit_code, 1) << ended->Describe();
  EXPECT_THAT(ended->output(), HasSubstr("recover --resume")) << ended->Describe();
  ExpectSourceWritableTargetFenced(*writer);
  EXPECT_NE(Value(kDb2, absl::StrCat("SELECT name FROM shop.customers WHERE id = ", case_id)),
            "from master")
      << "nothing is replaced before the compare is done";

  ASSERT_OK(cluster().agent(kDb1).Restart());
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_THAT(resumed.output(), HasSubstr("method delta")) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

// Physical method: the target's agent dies (kill -9, from its fault point) right after
// the datadir swap, with mariadbd stopped and the old datadir renamed aside. The target
// stays down (never up unfenced on data nobody settled), keepalived stopped, the source
// takes writes. The restarted agent finishes the swap from its swap record (mariadbd up
// on the prepared copy, read-only, its own accounts back) and the resume goes on from
// there without copying again.
TEST_F(FaultMatrixTest, PhysicalTargetAgentKilledAfterTheSwapThenResumeCompletes) {
  const int case_id = 970007;
  const int first = 74000000;
  FaultPoints faults = Faults("after-swap");
  ASSERT_OK(faults.ArmAgent(cluster().agent(kDb2), "after_swap=kill"));
  auto writer = BreakAndWrite(case_id, first);

  CliResult failed = Cli({"recover", "--source", "db1", "--yes", "--method", "physical"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  ASSERT_TRUE(faults.Hit("after_swap")) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("recover --resume")) << failed.Describe();
  EXPECT_THAT(Value(kDb2, "SELECT 1"), HasSubstr("<")) << "db2's mariadbd should be down";
  EXPECT_FALSE(cluster().keepalived_running(kDb2));
  EXPECT_EQ(Value(kDb1, "SELECT @@GLOBAL.read_only"), "0");

  const size_t log_from = LogSize(kDb2);
  ASSERT_OK(cluster().agent(kDb2).Restart());
  EXPECT_OK(WaitForLog(kDb2, log_from, "finished; mariadbd runs on the copy, read-only",
                       absl::Seconds(5)));
  ExpectSourceWritableTargetFenced(*writer);

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  EXPECT_OK(WaitForLog(kDb2, log_from, "datadir swap was already finished", absl::Seconds(5)));
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

// The target's backups directory on a 256 KiB tmpfs: the backup (--backup dump) fails
// with ENOSPC. The run stops naming the node and the disk, nothing was dropped, the
// target stays fenced; with room again the resume completes.
TEST_F(FaultMatrixTest, FullDiskDuringTheBackupStopsTheRunNamingNodeAndDisk) {
  const int case_id = 970002;
  const int first = 71000000;
  const std::string backups = cluster().agent(kDb2).backup_dir();
  ASSERT_EQ(::mkdir(backups.c_str(), 0700) == 0 || errno == EEXIST, true);
  ASSERT_EQ(::mount("tmpfs", backups.c_str(), "tmpfs", 0, "size=256k,mode=0700"), 0)
      << "mount tmpfs on " << backups << ": " << std::strerror(errno);
  auto unmount = absl::MakeCleanup([&] { ::umount2(backups.c_str(), MNT_DETACH); });
  auto writer = BreakAndWrite(case_id, first);
  const std::string schemas_before =
      Rows(kDb2, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1");

  CliResult failed = Cli({"recover", "--source", "db1", "--yes", "--backup", "dump"});
  EXPECT_EQ(failed.exit_code, 1) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("db2")) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("No space left on device")) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("backup")) << failed.Describe();
  EXPECT_THAT(failed.output(), HasSubstr("recover --resume")) << failed.Describe();
  ExpectSourceWritableTargetFenced(*writer);
  EXPECT_EQ(Rows(kDb2, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"),
            schemas_before)
      << "nothing may be dropped before the backup is written";

  std::move(unmount).Invoke();
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

// The target's datadir fills up during the logical import: db2's mariadbd runs on a
// tmpfs, which a ballast file fills to 3 MiB free once the pre-flight's disk check has
// passed (the coordinator paused after the backup); the copy needs more. The run stops
// naming db2 and the full table, the target stays fenced, the source keeps taking writes
// and its data is not touched; once the ballast is removed the resume completes.
TEST_F(FaultMatrixTest, FullDatadirDuringTheImportStopsTheRunAndResumeCompletes) {
  const int case_id = 970008;
  const int first = 75000000;
  DatadirOnTmpfs tmpfs(pair().node(kDb2));
  ASSERT_OK(tmpfs.Mount(uint64_t{64} << 20));
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  FaultPoints faults = Faults("datadir-full");
  auto writer = BreakAndWrite(case_id, first);
  const std::string source_bulk = Rows(kDb1, "CHECKSUM TABLE bulk.filler");

  auto cli = StartCli({"recover", "--source", "db1", "--yes", "--method", "logical"},
                      faults.Env("step_done:backup-target=pause"));
  ASSERT_OK(cli.status());
  ASSERT_OK(faults.WaitHit("step_done:backup-target", kTimeout));
  ASSERT_OK(tmpfs.Fill(3 << 20));
  ASSERT_OK(faults.Release("step_done:backup-target"));
  auto failed = (*cli)->Wait(kTimeout);
  ASSERT_OK(failed.status());
  EXPECT_EQ(failed->exit_code, 1) << failed->Describe();
  EXPECT_THAT(failed->output(), HasSubstr("db2: import: loading table")) << failed->Describe();
  EXPECT_THAT(failed->output(), HasSubstr("is full")) << failed->Describe();
  EXPECT_THAT(failed->output(), HasSubstr("recover --resume")) << failed->Describe();
  ExpectSourceWritableTargetFenced(*writer);
  EXPECT_EQ(Rows(kDb1, "CHECKSUM TABLE bulk.filler"), source_bulk);

  ASSERT_OK(tmpfs.FreeSpace());
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
  ASSERT_OK(tmpfs.Restore());
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// The coordinator freezes (SIGSTOP, at the boundary after the backup) past its 60 s
// lease. Another coordinator's --resume takes the run over and completes it; when the
// frozen one wakes, the agents refuse its next state-changing call, and what it writes
// on its way out does not make the finished run look unfinished.
TEST_F(FaultMatrixTest, ACoordinatorFrozenPastItsLeaseIsRefusedAfterAnotherResumed) {
  const int case_id = 970003;
  const int first = 72000000;
  FaultPoints faults = Faults("lease");
  auto writer = BreakAndWrite(case_id, first);
  auto frozen =
      StartCli({"recover", "--source", "db1", "--yes"}, faults.Env("step_done:backup-target=stop"));
  ASSERT_OK(frozen.status());
  ASSERT_OK(faults.WaitHit("step_done:backup-target", kTimeout));
  ASSERT_OK(WaitStopped((*frozen)->pid(), kTimeout));
  auto thaw = absl::MakeCleanup([&] { (*frozen)->Signal(SIGCONT); });

  // While its lease is live, a resume is refused (the holder's process exists).
  CliResult early = Cli({"recover", "--resume", "--yes"});
  EXPECT_EQ(early.exit_code, 3) << early.Describe();
  ExpectSourceWritableTargetFenced(*writer);
  ASSERT_OK(WaitUntil([&] { return NoLeaseHeld(); }, absl::Seconds(90), absl::Milliseconds(500),
                      "the frozen coordinator's lease to expire"));

  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();

  std::move(thaw).Invoke();
  auto woke = (*frozen)->Wait(kTimeout);
  ASSERT_OK(woke.status());
  EXPECT_NE(woke->exit_code, 0) << woke->Describe();
  // Refused by the agents for its lost lease, or, when an agent dropped the connection
  // the frozen process never answered, failed on the cut connection (gRPC words it
  // "Socket closed" or "Broken pipe"): either way it changed nothing (the checks below).
  EXPECT_THAT(woke->output(),
              ::testing::AnyOf(HasSubstr("lease"), HasSubstr("was cut during the call")))
      << woke->Describe();
  CliResult status = Cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.Describe();
  EXPECT_THAT(status.out, ::testing::Not(HasSubstr("UNFINISHED"))) << status.Describe();
  ExpectEveryAckedRowOnceAndVerified(*writer, first, case_id);
}

// --resume re-checks what the remaining steps rely on, against the pair as it is now.
// Here the source's binary log holding the snapshot the target was seeded from was
// purged after the import: phase 1 could not replicate what came after, so the resume
// is refused naming the file (exit 3), nothing changes, and the run can be given up.
TEST_F(FaultMatrixTest, ResumeRefusesWhenTheSnapshotsBinaryLogWasPurged) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 970004));
  FaultPoints faults = Faults("purged");
  auto cli =
      StartCli({"recover", "--source", "db1", "--yes"}, faults.Env("step_done:stream-import=kill"));
  ASSERT_OK(cli.status());
  auto killed = (*cli)->Wait(kTimeout);
  ASSERT_OK(killed.status());
  ASSERT_TRUE(faults.Hit("step_done:stream-import")) << killed->Describe();
  const std::string run_id = cluster().LastJournalRunId();
  ASSERT_OK(pair().Exec(kDb1, "FLUSH BINARY LOGS"));
  auto logs = pair().Query(kDb1, "SHOW MASTER STATUS");
  ASSERT_OK(logs.status());
  const std::string newest = logs->GetOr(0, "File", "");
  // MariaDB purges a file only once its binlog checkpoint is written (asynchronously after
  // the rotation): until then PURGE skips it with a warning. Retried until it is gone.
  ASSERT_OK(WaitUntil(
      [&] {
        if (!pair().Exec(kDb1, absl::StrCat("PURGE BINARY LOGS TO '", newest, "'")).ok()) {
          return false;
        }
        return absl::StartsWith(Rows(kDb1, "SHOW BINARY LOGS"), newest + "|");  // oldest first
      },
      kTimeout, absl::Milliseconds(100), "db1's first binary log to be purged"));

  const std::string journal_before = ReadFile(cluster().journal_path());
  CliResult refused = Cli({"recover", "--resume", "--yes"});
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr("step phase1: the source db1 no longer has the binary log"))
      << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr("recover --abandon " + run_id)) << refused.Describe();
  EXPECT_EQ(ReadFile(cluster().journal_path()), journal_before);
  EXPECT_EQ(Value(kDb2, "SELECT @@GLOBAL.read_only"), "1");

  CliResult abandoned = Cli({"recover", "--abandon", run_id});
  ASSERT_EQ(abandoned.exit_code, 0) << abandoned.Describe();
  CliResult fresh = Cli({"recover", "--source", "db1", "--yes"});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
}

// The target was unfenced by hand (keepalived started) after the run stopped past the
// fence: it may have served writes on partial data, so the resume is refused; once it
// is fenced again the resume completes.
TEST_F(FaultMatrixTest, ResumeRefusesWhenTheTargetWasUnfencedSince) {
  ASSERT_OK(BreakWithDuplicateKey(kDb2, kDb1, 970005));
  FaultPoints faults = Faults("unfenced");
  auto cli =
      StartCli({"recover", "--source", "db1", "--yes"}, faults.Env("step_done:backup-target=kill"));
  ASSERT_OK(cli.status());
  auto killed = (*cli)->Wait(kTimeout);
  ASSERT_OK(killed.status());
  ASSERT_TRUE(faults.Hit("step_done:backup-target")) << killed->Describe();
  ASSERT_FALSE(cluster().keepalived_running(kDb2));
  ASSERT_OK(WriteFileAtomically(cluster().keepalived_marker(kDb2), "", 0644));

  CliResult refused = Cli({"recover", "--resume", "--yes"});
  EXPECT_EQ(refused.exit_code, 3) << refused.Describe();
  EXPECT_THAT(refused.err, HasSubstr("the target db2 is no longer fenced")) << refused.Describe();

  ASSERT_EQ(::unlink(cluster().keepalived_marker(kDb2).c_str()), 0);
  CliResult resumed = Cli({"recover", "--resume", "--yes"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.Describe();
  ASSERT_OK(cluster().CheckHealthy(kTimeout));
  EXPECT_EQ(Value(kDb2, "SELECT name FROM shop.customers WHERE id = 970005"), "from master");
}

}  // namespace
}  // namespace mmresync::testing
