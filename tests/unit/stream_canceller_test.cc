// The import's open part streams are cancelled once it must stop, and only then.
#include "agent/stream_canceller.h"

#include <atomic>

#include "gtest/gtest.h"
#include "tests/harness/wait.h"

namespace mmresync {
namespace {

class FlagStream : public agent::DumpStream {
 public:
  absl::StatusOr<std::optional<v1::DumpChunk>> Next() override {
    return std::optional<v1::DumpChunk>();
  }
  void Cancel() override { cancelled = true; }
  std::atomic<bool> cancelled{false};
};

TEST(StreamCancellerTest, CancelsRegisteredStreamsOnceTheImportMustStop) {
  std::atomic<bool> stop{false};
  agent::StreamCanceller canceller([&] { return stop.load(); }, absl::Milliseconds(5));
  FlagStream open, closed;
  { agent::StreamCanceller::Registration gone(canceller, &closed); }
  agent::StreamCanceller::Registration registered(canceller, &open);
  absl::SleepFor(absl::Milliseconds(30));
  EXPECT_FALSE(open.cancelled) << "nothing is cancelled while the import runs";
  stop = true;
  EXPECT_TRUE(testing::WaitUntil([&] { return open.cancelled.load(); }, absl::Seconds(5),
                                 absl::Milliseconds(5), "the open stream to be cancelled")
                  .ok());
  EXPECT_FALSE(closed.cancelled) << "a stream that was done is left alone";
  FlagStream late;
  agent::StreamCanceller::Registration after(canceller, &late);
  EXPECT_TRUE(late.cancelled) << "a stream opened after the stop is cancelled at once";
}

}  // namespace
}  // namespace mmresync
