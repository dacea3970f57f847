#include "coordinator/transport_error.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mmresync::coordinator {

TransportFailure ClassifyTransportFailure(absl::string_view grpc_message, bool deadline_exceeded) {
  const std::string m = absl::AsciiStrToLower(std::string(grpc_message));
  auto has = [&](absl::string_view s) { return absl::StrContains(m, s); };
  if (has("certificate_verify_failed") || has("certificate verify failed") ||
      has("certificate has expired")) {
    return TransportFailure::kTlsVerify;
  }
  if (has("handshake") || has("ssl_error") || has("tlsv1 alert")) {
    return TransportFailure::kTlsRejected;
  }
  // gRPC says "Socket closed" both when the agent ends the TLS handshake (then while
  // connecting: "failed to connect to all addresses") and when an established connection
  // is cut under a call; only the first is about certificates.
  const bool connecting = has("failed to connect");
  if (has("socket closed") && connecting) return TransportFailure::kTlsRejected;
  if (has("socket closed") || has("broken pipe") || has("connection reset") ||
      has("end of tcp stream")) {
    return TransportFailure::kDropped;
  }
  if (has("connection refused")) return TransportFailure::kRefused;
  if (has("dns resolution failed") || has("name or service not known") ||
      has("could not resolve")) {
    return TransportFailure::kNameLookup;
  }
  if (deadline_exceeded || has("deadline") || has("timed out") || has("no route to host") ||
      has("network is unreachable")) {
    return TransportFailure::kNoAnswer;
  }
  return TransportFailure::kOther;
}

std::string ExplainTransportFailure(absl::string_view grpc_message, bool deadline_exceeded,
                                    const NodeEntry& node, const std::string& where,
                                    const TlsFiles& tls) {
  const std::string at = absl::StrCat(node.agent, " (", where, ")");
  std::string text;
  switch (ClassifyTransportFailure(grpc_message, deadline_exceeded)) {
    case TransportFailure::kRefused:
      text = absl::StrCat("no mmresync-agent answers at ", at,
                          ": connection refused; mmresync-agent must be running on ", node.name,
                          " and listening there (systemctl status mmresync-agent)");
      break;
    case TransportFailure::kNoAnswer:
      text = absl::StrCat("no answer from ", at, ": is the host up, mmresync-agent running on ",
                          node.name, " and its port open from here?");
      break;
    case TransportFailure::kNameLookup:
      text = absl::StrCat("cannot resolve the agent address ", at);
      break;
    case TransportFailure::kTlsVerify:
      text = absl::StrCat("TLS: the certificate of the agent at ", at,
                          " does not verify against tls.ca = ", tls.ca,
                          ": it was issued by another CA, or it has expired (check with "
                          "openssl s_client -connect ",
                          node.agent, " -CAfile ", tls.ca, ")");
      break;
    case TransportFailure::kTlsRejected:
      text = absl::StrCat("TLS: the agent at ", at,
                          " ended the handshake: it does not accept this coordinator's "
                          "certificate tls.cert = ",
                          tls.cert,
                          " (issued by a CA other than the agent's tls.ca, or expired), or "
                          "something other than mmresync-agent listens there");
      break;
    case TransportFailure::kDropped:
      text = absl::StrCat("the connection to the agent at ", at,
                          " was cut during the call (the agent restarted or exited, the network "
                          "dropped it, or this process was suspended long enough for it to "
                          "be closed); whether the call took effect on ",
                          node.name, " is unknown: check with mmresync status");
      break;
    case TransportFailure::kOther:
      text = absl::StrCat("no usable answer from the agent at ", at);
      break;
  }
  return absl::StrCat(text, " [grpc: ", grpc_message, "]");
}

}  // namespace mmresync::coordinator
