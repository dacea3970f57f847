#pragma once

// absl::Status <-> grpc::Status, only at the RPC edges. Codes map one to one (both
// follow the canonical gRPC codes).

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace mmresync {

inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

inline absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace mmresync
