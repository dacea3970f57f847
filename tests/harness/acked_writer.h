#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "agent/db_session.h"

namespace mmresync::testing {

// A client on one node inserting numbered rows, `insert(id)` per id from `first`, one
// every 2 ms, recording the last id the server acknowledged (committed). Bounded: `last`
// ids or 300 s. Stop() ends it and returns the first error it met (OK if none).
class AckedWriter {
 public:
  AckedWriter(agent::DbConnectParams params, int first, int last,
              std::function<std::string(int)> insert);
  ~AckedWriter() { (void)Stop(); }
  // The last id the server acknowledged; 0 before the first.
  int acked() const { return acked_.load(); }
  absl::Status Stop();

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> acked_{0};
  absl::Status error_;
  std::thread thread_;
};

}  // namespace mmresync::testing
