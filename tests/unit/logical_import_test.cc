// The logical import's order of harm, with fakes: nothing is dropped before the fence
// check passes, and a manifest that would load rows outside user schemas is refused
// before anything happens.

#include "agent/logical_import.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using fakes::FakeDbScript;
using fakes::FakeDbSessionFactory;
using ::testing::IsEmpty;

// A peer that must never be asked for a part.
class NoFetchPeer : public TransferPeer {
 public:
  absl::StatusOr<v1::BeginTransferReply> Begin(uint32_t) override {
    return absl::InternalError("not used");
  }
  absl::StatusOr<std::unique_ptr<DumpStream>> Fetch(uint32_t part_id) override {
    ++fetches;
    return absl::UnavailableError("no parts here");
  }
  absl::Status End() override { return absl::OkStatus(); }
  int fetches = 0;
};

v1::BeginTransferReply Manifest(const std::string& schema) {
  v1::BeginTransferReply m;
  m.set_session_id(std::string(32, 'a'));
  m.set_workers(1);
  auto* part = m.add_parts();
  part->set_id(0);
  part->set_kind(v1::TransferPart::TABLE_ROWS);
  part->set_schema(schema);
  part->set_table("user");
  part->add_columns()->set_name("Host");
  return m;
}

TEST(LogicalImportTest, RowsForASystemSchemaAreRefusedBeforeAnything) {
  FakeDbScript script;
  FakeDbSessionFactory db(&script);
  NoFetchPeer peer;
  LogicalImportParams params;
  params.base.db = &db;
  params.loaders = &db;
  bool fence_checked = false;
  params.base.fence_check = [&](DbSession&) {
    fence_checked = true;
    return absl::OkStatus();
  };
  auto result = ImportLogical(params, peer, Manifest("mysql"));
  EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  EXPECT_EQ(peer.fetches, 0);
  EXPECT_FALSE(fence_checked);
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

// replicate_ignore_db=localdb here: a manifest with rows for localdb (a source with
// other filters, or none) is refused before anything is dropped.
TEST(LogicalImportTest, RowsForASchemaReplicationIgnoresAreRefusedBeforeTheDrop) {
  FakeDbScript script;
  script.OnQuery("SHOW GLOBAL VARIABLES LIKE 'replicate\\_%'",
                 fakes::Rows({"Variable_name", "Value"}, {{"replicate_ignore_db", "localdb"}}));
  FakeDbSessionFactory db(&script);
  NoFetchPeer peer;
  LogicalImportParams params;
  params.base.db = &db;
  params.loaders = &db;
  params.base.fence_check = [](DbSession&) { return absl::OkStatus(); };
  auto result = ImportLogical(params, peer, Manifest("localdb"));
  EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "replication ignores here"))
      << result.status();
  EXPECT_EQ(peer.fetches, 0);
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

TEST(LogicalImportTest, AFailedFenceCheckDropsNothing) {
  FakeDbScript script;
  FakeDbSessionFactory db(&script);
  NoFetchPeer peer;
  LogicalImportParams params;
  params.base.db = &db;
  params.loaders = &db;
  params.base.fence_check = [](DbSession&) {
    return absl::FailedPreconditionError("read_only is OFF (fence the node first)");
  };
  auto result = ImportLogical(params, peer, Manifest("shop"));
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
  EXPECT_TRUE(absl::StrContains(result.status().message(), "nothing was dropped"))
      << result.status();
  EXPECT_EQ(peer.fetches, 0);
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

TEST(LogicalImportTest, NoFenceCheckMeansNoImport) {
  FakeDbScript script;
  FakeDbSessionFactory db(&script);
  NoFetchPeer peer;
  LogicalImportParams params;
  params.base.db = &db;
  params.loaders = &db;
  auto result = ImportLogical(params, peer, Manifest("shop"));
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(script.StatementsStartingWith("DROP"), IsEmpty());
}

}  // namespace
}  // namespace mmresync::agent
