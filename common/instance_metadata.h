#pragma once

// The coordinator instance id travels in the request metadata of every call the
// coordinator makes (agent.proto's header): the agents check it against the lease's
// holder, so that a second coordinator cannot act under the lease of a run it did not
// take, even with the same run id.

#include <string>

#include <grpcpp/grpcpp.h>

namespace mmresync {

inline constexpr char kInstanceMetadataKey[] = "mmresync-instance";

// The id the caller sent, "" when none (or more than one).
inline std::string InstanceIdOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  if (metadata.count(kInstanceMetadataKey) != 1) return "";
  const grpc::string_ref value = metadata.find(kInstanceMetadataKey)->second;
  return std::string(value.data(), value.size());
}

}  // namespace mmresync
