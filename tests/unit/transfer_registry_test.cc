// The source's transfer sessions end by themselves: when the run loses the lease, when
// no part is fetched for a while, and when a running part stalls. No real clock games:
// short limits and bounded polling.

#include "agent/transfer_registry.h"

#include <atomic>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace mmresync::agent {
namespace {

class FakeSession : public TransferSession {
 public:
  explicit FakeSession(std::string id) { manifest_.set_session_id(std::move(id)); }
  const v1::BeginTransferReply& manifest() const override { return manifest_; }
  absl::Status ServePart(uint32_t, const std::function<bool(const v1::DumpChunk&)>&,
                         const std::function<bool()>&) override {
    return absl::OkStatus();
  }
  // A part that runs without making progress (the peer stopped reading).
  void StartStalledPart() {
    absl::MutexLock lock(&mu_);
    ++active_parts_;
  }

 private:
  v1::BeginTransferReply manifest_;
};

bool WaitExpired(const FakeSession& s, absl::Duration limit) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (s.expired()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return s.expired();
}

TransferRegistry::Limits Short(absl::Duration stall, absl::Duration idle) {
  return TransferRegistry::Limits{stall, idle, absl::Milliseconds(20)};
}

TEST(TransferRegistryTest, ASessionWhoseRunLostTheLeaseEnds) {
  std::atomic<bool> lease{true};
  TransferRegistry registry([&](const std::string&) { return lease.load(); },
                            Short(absl::Hours(1), absl::Hours(1)));
  auto session = std::make_shared<FakeSession>(std::string(32, 'a'));
  registry.Add(session, "db2", "run-1");
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(session->expired());
  lease = false;
  EXPECT_TRUE(WaitExpired(*session, absl::Seconds(5)));
}

TEST(TransferRegistryTest, ASessionNobodyFetchesFromEnds) {
  TransferRegistry registry([](const std::string&) { return true; },
                            Short(absl::Hours(1), absl::Milliseconds(200)));
  auto session = std::make_shared<FakeSession>(std::string(32, 'b'));
  registry.Add(session, "db2", "run-1");
  EXPECT_TRUE(WaitExpired(*session, absl::Seconds(5)));
}

TEST(TransferRegistryTest, ARunningPartThatMakesNoProgressEndsTheSession) {
  TransferRegistry registry([](const std::string&) { return true; },
                            Short(absl::Milliseconds(200), absl::Hours(1)));
  auto session = std::make_shared<FakeSession>(std::string(32, 'c'));
  session->StartStalledPart();
  registry.Add(session, "db2", "run-1");
  EXPECT_TRUE(WaitExpired(*session, absl::Seconds(5)));
}

TEST(TransferRegistryTest, OnlyTheSessionsPeerMayAttach) {
  TransferRegistry registry([](const std::string&) { return true; },
                            Short(absl::Hours(1), absl::Hours(1)));
  auto session = std::make_shared<FakeSession>(std::string(32, 'd'));
  registry.Add(session, "db2", "run-1");
  grpc::ServerContext context;
  EXPECT_TRUE(absl::IsNotFound(registry.Attach(std::string(32, 'd'), "db3", &context).status()));
  EXPECT_TRUE(registry.Attach(std::string(32, 'd'), "db2", &context).ok());
  registry.Detach(std::string(32, 'd'), &context);
}

}  // namespace
}  // namespace mmresync::agent
