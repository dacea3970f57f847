#pragma once

// gRPC's own log lines ("E1130 12:00:00 ... ssl_transport_security.cc:1420] Handshake
// failed ...") are written to stderr by default, unescaped, beside our messages that
// already say the same in the operator's words. Route them through common/log.h instead:
// dropped unless `debug`, then timestamped, escaped and prefixed "grpc:".

namespace mmresync {

// Call once, before the first channel or server is made. Overrides GRPC_VERBOSITY.
void RouteGrpcLogging(bool debug);

}  // namespace mmresync
