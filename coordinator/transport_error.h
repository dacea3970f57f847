#pragma once

// Why an agent did not answer, in the operator's words. gRPC reports a stopped agent, a
// firewall and a certificate from another CA all as UNAVAILABLE with text such as
// "failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.2:7443: Failed to
// connect to remote host: Connection refused" or "Ssl handshake failed: SSL_ERROR_SSL:
// error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED"; this turns
// that into where it was dialled, what most likely happened and what to check.

#include <string>
#include "absl/strings/string_view.h"

#include "common/config.h"

namespace mmresync::coordinator {

enum class TransportFailure {
  kRefused,      // nothing listens there: the agent is not running (or wrong port)
  kNoAnswer,     // timed out / no route: host down or a firewall
  kTlsVerify,    // the agent's certificate does not chain to our CA (or expired)
  kTlsRejected,  // the agent closed the handshake: it did not accept our certificate
  kNameLookup,   // the agent's host name does not resolve
  kDropped,      // a connection that worked was cut mid-call (agent restarted, network)
  kOther,
};

// Classifies gRPC's message of an UNAVAILABLE or DEADLINE_EXCEEDED status.
TransportFailure ClassifyTransportFailure(absl::string_view grpc_message, bool deadline_exceeded);

// "no mmresync-agent answers at 10.0.0.2:7443 (cluster.toml [[node]] db2): connection
// refused; is mmresync-agent running there (systemctl status mmresync-agent)?". `where`
// names the config entry it was dialled from; `tls` the coordinator's [tls] files.
// The gRPC text is kept at the end (escaped by the caller's printing), for the details.
std::string ExplainTransportFailure(absl::string_view grpc_message, bool deadline_exceeded,
                                    const NodeEntry& node, const std::string& where,
                                    const TlsFiles& tls);

}  // namespace mmresync::coordinator
