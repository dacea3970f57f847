#include "agent/operation_slot.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class OperationSlotTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  OperationSlot slot_{[this] { return now_; }};
};

TEST_F(OperationSlotTest, OneAtATimeWhateverTheRun) {
  auto import = slot_.TryAcquire(OperationSlot::Kind::kImport, "run-a");
  ASSERT_TRUE(import.ok()) << import.status();
  now_ += absl::Seconds(42);
  // Another run, the same run (a second coordinator resuming it), any kind: refused.
  for (auto [kind, run] : {std::pair{OperationSlot::Kind::kImport, "run-a"},
                           std::pair{OperationSlot::Kind::kImport, "run-b"},
                           std::pair{OperationSlot::Kind::kBackup, "run-a"},
                           std::pair{OperationSlot::Kind::kDump, "run-a"}}) {
    auto second = slot_.TryAcquire(kind, run);
    ASSERT_FALSE(second.ok()) << OperationSlot::Name(kind) << " " << run;
    EXPECT_TRUE(absl::IsFailedPrecondition(second.status()));
    EXPECT_THAT(std::string(second.status().message()),
                AllOf(HasSubstr("the import for run run-a runs here"), HasSubstr("42s")));
  }
  std::optional<OperationSlot::Running> current = slot_.Current();
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->kind, OperationSlot::Kind::kImport);
  EXPECT_EQ(current->run_id, "run-a");
}

TEST_F(OperationSlotTest, FreedWhenTheGuardGoes) {
  {
    auto backup = slot_.TryAcquire(OperationSlot::Kind::kBackup, "run-a");
    ASSERT_TRUE(backup.ok());
    OperationSlot::Guard moved = std::move(*backup);  // the moved-from guard frees nothing
    EXPECT_FALSE(slot_.TryAcquire(OperationSlot::Kind::kDump, "run-a").ok());
  }
  EXPECT_FALSE(slot_.Current().has_value());
  EXPECT_TRUE(slot_.TryAcquire(OperationSlot::Kind::kDump, "run-a").ok());
}

TEST_F(OperationSlotTest, UnfencingRefusedOnlyWhileAnImportRuns) {
  EXPECT_TRUE(slot_.CheckNoImport("read_only OFF").ok());
  {
    auto dump = slot_.TryAcquire(OperationSlot::Kind::kDump, "run-a");
    ASSERT_TRUE(dump.ok());
    EXPECT_TRUE(slot_.CheckNoImport("read_only OFF").ok());
  }
  auto import = slot_.TryAcquire(OperationSlot::Kind::kImport, "run-a");
  ASSERT_TRUE(import.ok());
  absl::Status s = slot_.CheckNoImport("keepalived start");
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("refusing keepalived start"), HasSubstr("import for run run-a")));
}

}  // namespace
}  // namespace mmresync::agent
