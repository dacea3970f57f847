#include "tests/harness/acked_writer.h"

#include "absl/time/clock.h"
#include "agent/mariadb_session.h"

namespace mmresync::testing {

AckedWriter::AckedWriter(agent::DbConnectParams params, int first, int last,
                         std::function<std::string(int)> insert)
    : thread_([this, params, first, last, insert] {
        auto session = agent::MariadbSession::Connect(params);
        if (!session.ok()) {
          error_ = session.status();
          return;
        }
        const absl::Time end = absl::Now() + absl::Seconds(300);
        for (int id = first; id <= last && !stop_.load() && absl::Now() < end; ++id) {
          if (absl::Status s = (*session)->Execute(insert(id)); !s.ok()) {
            error_ = s;
            return;
          }
          acked_ = id;  // acknowledged: the server committed it
          absl::SleepFor(absl::Milliseconds(2));
        }
      }) {}

absl::Status AckedWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return error_;
}

}  // namespace mmresync::testing
