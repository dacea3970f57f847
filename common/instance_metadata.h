#pragma once

// The coordinator instance id travels in the request metadata of every call the
// coordinator makes (agent.proto's header): the agents check it against the lease's
// holder, so that a second coordinator cannot act under the lease of a run it did not
// take, even with the same run id.

#include <string>

#include <grpcpp/grpcpp.h>

namespace mmresync {

inline constexpr char kInstanceMetadataKey[] = "mmresync-instance";

// The value of metadata `key`, "" when none (or more than one).
inline std::string SingleMetadataValue(const grpc::ServerContextBase& context, const char* key) {
  const auto& metadata = context.client_metadata();
  if (metadata.count(key) != 1) return "";
  const grpc::string_ref value = metadata.find(key)->second;
  return std::string(value.data(), value.size());
}

// The id the caller sent, "" when none (or more than one).
inline std::string InstanceIdOf(const grpc::ServerContextBase& context) {
  return SingleMetadataValue(context, kInstanceMetadataKey);
}

// The node the coordinator means to talk to, on every call of its channel to that node.
// Why: the coordinator checks the agent's certificate on each reply, i.e. after the call
// has acted; a channel that reconnects between two calls (an address now served by the
// other agent, a moved DNS name) would have the first state-changing call run on the
// wrong node before any check could notice. The agent compares this with its own
// agent.name before it does anything, so the check happens where the action is, on every
// call and every connection, at no extra round trip.
inline constexpr char kExpectedNodeMetadataKey[] = "mmresync-node";

// The node the caller named, "" when none (or more than one).
inline std::string ExpectedNodeOf(const grpc::ServerContextBase& context) {
  return SingleMetadataValue(context, kExpectedNodeMetadataKey);
}

}  // namespace mmresync
