#pragma once

// What the source's TransferRegistry holds: one open transfer session of some method
// (logical: SourceTransfer; physical: PhysicalSourceTransfer). The registry's watchdog
// only needs activity, expiry and the parts; each method serves its parts its own way.
//
// Thread-safety: implementations allow ServePart for different parts concurrently and
// Expire from any thread.

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mmresync/v1/agent.pb.h"

namespace mmresync::agent {

class TransferSession {
 public:
  virtual ~TransferSession() = default;
  virtual const v1::BeginTransferReply& manifest() const = 0;
  // Streams one part; `send` returns false when the peer is gone.
  virtual absl::Status ServePart(uint32_t part_id,
                                 const std::function<bool(const v1::DumpChunk&)>& send,
                                 const std::function<bool()>& cancelled) = 0;
  // Ends the session from outside (idle, stalled, lease gone): running parts stop.
  virtual void Expire(const std::string& why) = 0;
  virtual bool expired() const = 0;
  virtual absl::Time last_activity() const = 0;
  virtual int active_parts() const = 0;
};

}  // namespace mmresync::agent
