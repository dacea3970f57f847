#pragma once

// A configured replica's SHOW SLAVE STATUS as the agents report it, for unit tests.

#include <string>

#include "mmresync/v1/agent.pb.h"

namespace mmresync::testing_util {

inline v1::ReplicaStatus Replica(const std::string& io, const std::string& sql) {
  v1::ReplicaStatus r;
  r.set_configured(true);
  r.set_io_running(io);
  r.set_sql_running(sql);
  return r;
}

}  // namespace mmresync::testing_util
