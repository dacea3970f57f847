// The target's delta import checks the source's manifest before it reads or changes
// anything: a row encoding it does not know would make every digest differ.

#include <memory>

#include "agent/delta_import.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/fake_db_session.h"

namespace mmresync::agent {
namespace {

using ::testing::HasSubstr;

// A source that must never be asked for anything.
class UntouchedPeer : public TransferPeer {
 public:
  absl::StatusOr<v1::BeginTransferReply> Begin(uint32_t) override {
    return absl::InternalError("not used");
  }
  absl::StatusOr<std::unique_ptr<DumpStream>> Fetch(uint32_t) override {
    ++calls;
    return absl::InternalError("not used");
  }
  absl::StatusOr<v1::DigestChunksReply> DigestChunks(uint32_t,
                                                     const std::vector<v1::KeyRange>&) override {
    ++calls;
    return absl::InternalError("not used");
  }
  absl::Status End() override { return absl::OkStatus(); }
  int calls = 0;
};

TEST(DeltaImportManifestTest, AnUnknownRowEncodingIsRefusedBeforeAnythingIsRead) {
  fakes::FakeDbScript script;
  fakes::FakeDbSessionFactory db(&script);
  DeltaImportParams params;
  params.logical.base.db = &db;
  v1::BeginTransferReply manifest;
  manifest.set_session_id(std::string(32, 'a'));
  manifest.set_method("delta");
  manifest.set_workers(1);
  manifest.set_row_encoding(static_cast<v1::RowEncoding>(7));
  UntouchedPeer peer;
  absl::StatusOr<v1::ImportResult> r = ImportDelta(params, peer, manifest);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("row encoding 7"));
  EXPECT_THAT(r.status().message(), HasSubstr("nothing was changed"));
  EXPECT_EQ(peer.calls, 0);
  EXPECT_TRUE(script.statements().empty());
  EXPECT_EQ(script.sessions_opened(), 0);
}

}  // namespace
}  // namespace mmresync::agent
