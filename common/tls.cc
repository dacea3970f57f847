#include "common/tls.h"
#include "absl/strings/string_view.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmresync {
namespace {

constexpr int kKeepaliveTimeMs = 20000;
constexpr int kKeepaliveTimeoutMs = 10000;
// The server accepts pings without data this often (less than the clients' 20 s, with
// margin for timer jitter).
constexpr int kServerMinRecvPingIntervalMs = 10000;

std::string OpenSslErrors() {
  std::vector<std::string> parts;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    parts.emplace_back(buf);
  }
  if (parts.empty()) return "unknown OpenSSL error";
  return absl::StrJoin(parts, "; ");
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no ", what, " file configured"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(what, " file ", path, ": cannot open"));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat(what, " file ", path, ": read error"));
  }
  std::string content = std::move(out).str();
  if (content.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " file ", path, ": empty"));
  }
  return content;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// The PEM files as gRPC wants them, checked up front so that a wrong path, a key that
// does not belong to the certificate or a non-PEM file is reported with the file's
// name instead of as a failed handshake later.
struct PemMaterial {
  std::string ca;
  std::string cert;
  std::string key;
};

absl::StatusOr<PemMaterial> LoadTlsFiles(const TlsFiles& files) {
  PemMaterial pem;
  {
    auto ca = ReadPemFile(files.ca, "CA certificate");
    if (!ca.ok()) return ca.status();
    pem.ca = *std::move(ca);
    auto cert = ReadPemFile(files.cert, "certificate");
    if (!cert.ok()) return cert.status();
    pem.cert = *std::move(cert);
    auto key = ReadPemFile(files.key, "private key");
    if (!key.ok()) return key.status();
    pem.key = *std::move(key);
  }

  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> ca_bio(BIO_new_mem_buf(pem.ca.data(), pem.ca.size()));
  std::unique_ptr<X509, X509Free> ca(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
  if (ca == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate file ", files.ca, ": no PEM certificate: ", OpenSslErrors()));
  }
  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new_mem_buf(pem.cert.data(), pem.cert.size()));
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate file ", files.cert, ": no PEM certificate: ", OpenSslErrors()));
  }
  std::unique_ptr<BIO, BioFree> key_bio(BIO_new_mem_buf(pem.key.data(), pem.key.size()));
  // An empty passphrase callback result: an encrypted key fails instead of prompting.
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (key == nullptr) {
    ERR_clear_error();  // never echo anything about key material
    return absl::InvalidArgumentError(
        absl::StrCat("private key file ", files.key, ": no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "private key file ", files.key, " does not match certificate file ", files.cert));
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files) {
  auto pem = LoadTlsFiles(files);
  if (!pem.ok()) return pem.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pem->ca;
  options.pem_key_cert_pairs.push_back({pem->key, pem->cert});
  auto creds = grpc::SslServerCredentials(options);
  if (creds == nullptr) {
    return absl::InternalError("gRPC refused the server TLS credentials");
  }
  return creds;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeReloadingServerCredentials(
    const TlsFiles& files, unsigned reload_seconds) {
  auto pem = LoadTlsFiles(files);
  if (!pem.ok()) return pem.status();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca, reload_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  auto creds = grpc::experimental::TlsServerCredentials(options);
  if (creds == nullptr) {
    return absl::InternalError("gRPC refused the reloading server TLS credentials");
  }
  return creds;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  auto pem = LoadTlsFiles(files);
  if (!pem.ok()) return pem.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem->ca;
  options.pem_private_key = pem->key;
  options.pem_cert_chain = pem->cert;
  auto creds = grpc::SslCredentials(options);
  if (creds == nullptr) {
    return absl::InternalError("gRPC refused the client TLS credentials");
  }
  return creds;
}

namespace {

grpc::ChannelArguments ChannelSettings(bool bdp_probe = true) {
  grpc::ChannelArguments args;
  if (!bdp_probe) args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return args;
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           std::shared_ptr<grpc::ChannelCredentials> creds) {
  return grpc::CreateCustomChannel(target, std::move(creds), ChannelSettings());
}

std::shared_ptr<grpc::Channel> MakeBulkDataChannel(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> creds) {
  return grpc::CreateCustomChannel(target, std::move(creds), ChannelSettings(/*bdp_probe=*/false));
}

std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target, std::shared_ptr<grpc::ChannelCredentials> creds,
    std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
        interceptors) {
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, std::move(creds), ChannelSettings(), std::move(interceptors));
}

void ApplyServerSettings(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kServerMinRecvPingIntervalMs);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
}

std::optional<PeerRole> ParseRoleUri(std::string_view uri) {
  if (uri == kCoordinatorUri) return PeerRole{PeerRole::Kind::kCoordinator, ""};
  if (!uri.starts_with(kAgentUriPrefix)) return std::nullopt;
  std::string_view name = uri.substr(std::string_view(kAgentUriPrefix).size());
  if (name.empty() || name.size() > 64) return std::nullopt;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return std::nullopt;
  }
  return PeerRole{PeerRole::Kind::kAgent, std::string(name)};
}

absl::StatusOr<PeerRole> RoleOfAuthContext(const grpc::AuthContext* auth) {
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("peer presented no verified certificate");
  }
  std::optional<PeerRole> role;
  std::vector<std::string> uris;
  for (const grpc::string_ref& value : auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    std::string uri(value.data(), value.size());
    uris.push_back(uri);
    std::optional<PeerRole> parsed = ParseRoleUri(uri);
    if (!parsed) continue;  // other URIs (e.g. from a corporate PKI) are not ours
    if (role && (role->kind != parsed->kind || role->node != parsed->node)) {
      return absl::PermissionDeniedError(
          absl::StrCat("peer certificate names conflicting roles: ", absl::StrJoin(uris, ", ")));
    }
    role = std::move(parsed);
  }
  if (!role) {
    return absl::PermissionDeniedError(absl::StrCat(
        "peer certificate has no mmresync role URI in its subjectAltName (want ", kCoordinatorUri,
        " or ", kAgentUriPrefix, "<node>)",
        uris.empty() ? std::string() : absl::StrCat("; it has ", absl::StrJoin(uris, ", "))));
  }
  return *std::move(role);
}

absl::StatusOr<PeerRole> PeerRoleOf(const grpc::ServerContext& context) {
  return RoleOfAuthContext(context.auth_context().get());
}

absl::StatusOr<PeerRole> PeerRoleOf(const grpc::CallbackServerContext& context) {
  return RoleOfAuthContext(context.auth_context().get());
}

absl::StatusOr<PeerRole> ServerRoleOf(const grpc::ClientContext& context) {
  return RoleOfAuthContext(context.auth_context().get());
}

}  // namespace mmresync
