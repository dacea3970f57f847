#pragma once

// Mutual TLS for every connection, with roles taken from a URI in the peer
// certificate's subjectAltName (DESIGN.md, "Certificates and roles"):
//   urn:mmresync:coordinator
//   urn:mmresync:agent:<node name>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include "absl/strings/string_view.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include "absl/status/statusor.h"
#include "common/config.h"

namespace mmresync {

inline constexpr char kCoordinatorUri[] = "urn:mmresync:coordinator";
inline constexpr char kAgentUriPrefix[] = "urn:mmresync:agent:";

struct PeerRole {
  enum class Kind { kCoordinator, kAgent };
  Kind kind;
  std::string node;  // for kAgent
};

// Server credentials that require and verify a client certificate chaining to `ca`.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

// The same, but the files are re-read every `reload_seconds` (gRPC's
// FileWatcherCertificateProvider): a renewed certificate, key or CA is used for new
// connections without a restart. The files are checked once here, as above; a later
// pair that does not match is not taken (gRPC keeps serving the previous one).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeReloadingServerCredentials(
    const TlsFiles& files, unsigned reload_seconds);

// Client credentials presenting `cert`/`key`, trusting only `ca`.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

// Channel to `target` (host:port) with mTLS. The server certificate must chain to the
// CA and carry a DNS or IP SAN matching the host of `target` (normal hostname
// verification, no override); which agent it is comes from its URI SAN, see
// ServerRoleOf(). HTTP/2 keepalive is on (pings every 20 s, also without calls) so a
// half-open connection is noticed; messages up to kMaxMessageBytes are accepted.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           std::shared_ptr<grpc::ChannelCredentials> creds);
// An agent's channel to its peer for the copy's data streams: the same, with HTTP/2's BDP
// probing off. With it on, gRPC widened the connection's receive window to tens of MB
// whenever the target wrote more slowly than the source read (mbstream, LOAD DATA), and
// held that much in the target agent's memory (peak RSS 62-139 MB on a physical copy of
// 0.8 GiB, against 35 MB with it off, at the same speed). Without it each message the
// target asks for still opens the window by its whole size: one round trip per message.
std::shared_ptr<grpc::Channel> MakeBulkDataChannel(const std::string& target,
                                                   std::shared_ptr<grpc::ChannelCredentials> creds);
// The same as MakeChannel, with client interceptors (the coordinator's instance metadata).
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> creds,
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        interceptors);

inline constexpr int kMaxMessageBytes = 8 * 1024 * 1024;

// Server side of the settings above, for every grpc::ServerBuilder of ours: accepts the
// clients' keepalive pings (without it gRPC answers pings sent every 20 s without calls
// with GOAWAY "too_many_pings"), pings its clients too, and accepts messages up to
// kMaxMessageBytes.
void ApplyServerSettings(grpc::ServerBuilder& builder);

// The role of the authenticated peer of a server call, from its URI SANs. Fails with
// Unauthenticated when the peer presented no verified certificate, PermissionDenied
// when none of its URIs is a role URI or two name different roles. Other URIs (e.g.
// SPIFFE ids from a corporate PKI) are ignored.
absl::StatusOr<PeerRole> PeerRoleOf(const grpc::ServerContext& context);
// The same for the callback API (CallbackServerContext is not a ServerContext).
absl::StatusOr<PeerRole> PeerRoleOf(const grpc::CallbackServerContext& context);
// The same from an AuthContext (null: no authenticated peer).
absl::StatusOr<PeerRole> RoleOfAuthContext(const grpc::AuthContext* auth);

// The role of a client call's server (after the call started).
absl::StatusOr<PeerRole> ServerRoleOf(const grpc::ClientContext& context);

// Parses a role URI; nullopt when it is not one of ours.
std::optional<PeerRole> ParseRoleUri(std::string_view uri);

}  // namespace mmresync
