#include "agent/source_digester.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/key_range.h"

namespace mmresync::agent {

SourceDigester::SourceDigester(TransferPeer& peer, uint32_t part_id)
    : peer_(peer), part_id_(part_id), thread_([this] { Run(); }) {}

SourceDigester::~SourceDigester() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    abandoned_ = true;
  }
  thread_.join();
}

absl::Status SourceDigester::Add(v1::KeyRange range) {
  absl::MutexLock lock(&mu_);
  if (!error_.ok()) return error_;
  queued_.push_back(std::move(range));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RangeSummary>> SourceDigester::Finish() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || (queued_.empty() && !in_flight_);
  };
  mu_.Await(absl::Condition(&answered));
  if (!error_.ok()) return error_;
  return std::move(digests_);
}

void SourceDigester::Run() {
  absl::MutexLock lock(&mu_);
  auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !queued_.empty(); };
  for (;;) {
    mu_.Await(absl::Condition(&work));
    if (abandoned_ || queued_.empty() || !error_.ok()) return;
    const size_t n = std::min(queued_.size(), kRangesPerDigestRequest);
    std::vector<v1::KeyRange> batch(std::make_move_iterator(queued_.begin()),
                                    std::make_move_iterator(queued_.begin() + n));
    queued_.erase(queued_.begin(), queued_.begin() + n);
    in_flight_ = true;
    mu_.Unlock();
    absl::StatusOr<v1::DigestChunksReply> reply = peer_.DigestChunks(part_id_, batch);
    mu_.Lock();
    in_flight_ = false;
    if (!reply.ok()) {
      error_ = reply.status();
      queued_.clear();
      return;
    }
    if (reply->chunks_size() != static_cast<int>(n)) {
      error_ = absl::DataLossError(
          absl::StrCat("the source digested ", reply->chunks_size(), " of ", n, " ranges"));
      queued_.clear();
      return;
    }
    for (const auto& c : reply->chunks()) digests_.push_back({c.sha256(), c.rows(), c.bytes()});
  }
}

}  // namespace mmresync::agent
