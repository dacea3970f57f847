#include "common/cert_authority.h"
#include "absl/strings/string_view.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/tls.h"

namespace mmresync {
namespace {

// ---------- OpenSSL ownership ----------

struct OsslFree {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  // ASN1_INTEGER, ASN1_IA5STRING, ... are all ASN1_STRING.
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(GENERAL_NAME* p) const { GENERAL_NAME_free(p); }
};
template <typename T>
using Ossl = std::unique_ptr<T, OsslFree>;

constexpr int kMaxDays = 36500;
// Validity starts this long before "now": the certificate must be usable at once on a
// host whose clock is a little behind the one that issued it.
constexpr long kBackdateSeconds = 3600;

std::string OpenSslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

absl::Status OpenSslError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", OpenSslErrors()));
}

// ---------- files ----------

absl::Status ErrnoError(const char* what, const std::string& path, int err) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == EEXIST) return absl::AlreadyExistsError(message);
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

absl::Status WriteAll(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return ErrnoError("fsync", path, errno);
  return absl::OkStatus();
}

// Writes `content` to `path` with `mode` (not subject to the umask). With `exclusive`,
// fails when `path` exists; otherwise replaces it atomically through a temporary file
// in the same directory, so a reader never sees a half-written key or certificate and
// an existing file's looser mode never applies to the new content.
absl::Status WriteFileWithMode(const std::string& path, std::string_view content, mode_t mode,
                               bool exclusive) {
  if (exclusive) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoError("create", path, errno);
    absl::Status status =
        ::fchmod(fd, mode) == 0 ? WriteAll(fd, content, path) : ErrnoError("chmod", path, errno);
    if (::close(fd) != 0 && status.ok()) status = ErrnoError("close", path, errno);
    if (!status.ok()) ::unlink(path.c_str());
    return status;
  }
  std::string tmp = path + ".tmpXXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // created 0600
  if (fd < 0) return ErrnoError("create temporary file for", path, errno);
  absl::Status status =
      ::fchmod(fd, mode) == 0 ? WriteAll(fd, content, tmp) : ErrnoError("chmod", tmp, errno);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError("close", tmp, errno);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("rename to", path, errno);
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

// ---------- PEM ----------

absl::StatusOr<std::string> ToPem(EVP_PKEY* key) {
  Ossl<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encoding private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

absl::StatusOr<std::string> ToPem(X509* cert) {
  Ossl<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("encoding certificate");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<Ossl<X509>> ReadCertificate(const std::string& path) {
  Ossl<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat("CA certificate file ", path, ": cannot open"));
  }
  Ossl<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate file ", path, ": no PEM certificate: ", OpenSslErrors()));
  }
  return cert;
}

absl::StatusOr<Ossl<EVP_PKEY>> ReadPrivateKey(const std::string& path) {
  Ossl<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat("CA key file ", path, ": cannot open"));
  }
  // No passphrase: an encrypted key fails here instead of prompting on the terminal.
  Ossl<EVP_PKEY> key(PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("CA key file ", path, ": no unencrypted PEM private key"));
  }
  return key;
}

// ---------- certificate building ----------

absl::StatusOr<Ossl<EVP_PKEY>> NewKey() {
  Ossl<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslError("generating EC P-256 key");
  return key;
}

absl::Status SetRandomSerial(X509* cert) {
  Ossl<BIGNUM> bn(BN_new());
  if (bn == nullptr) return OpenSslError("serial number");
  do {
    if (BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return OpenSslError("random serial number");
    }
  } while (BN_is_zero(bn.get()));
  Ossl<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslError("serial number");
  }
  return absl::OkStatus();
}

absl::Status SetValidity(X509* cert, int offset_days, int days) {
  std::time_t now = std::time(nullptr);
  if (X509_time_adj_ex(X509_getm_notBefore(cert), offset_days, -kBackdateSeconds, &now) ==
          nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), offset_days + days, -kBackdateSeconds, &now) ==
          nullptr) {
    return OpenSslError("validity period");
  }
  return absl::OkStatus();
}

absl::Status SetCommonName(X509_NAME* name, const std::string& cn) {
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError("subject name");
  }
  return absl::OkStatus();
}

// Adds an extension in openssl.cnf syntax; `ctx` names issuer and subject (for the key
// identifiers). Values here are constants, never user input.
absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  Ossl<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StrCat("extension ", OBJ_nid2sn(nid), " = ", value));
  }
  return absl::OkStatus();
}

absl::Status ValidateDays(int days) {
  if (days < 1 || days > kMaxDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity of ", days, " days is out of range 1..", kMaxDays));
  }
  return absl::OkStatus();
}

// DNS names as they may appear in a SAN: LDH labels of 1..63 characters, at most 253
// in all. No wildcards: an agent certificate names the hosts it is reached at, one by one.
absl::Status ValidateDnsName(const std::string& name) {
  auto bad = [&](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat("DNS name \"", name, "\": ", why));
  };
  if (name.empty() || name.size() > 253) return bad("length must be 1..253");
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63) return bad("each label must be 1..63 characters");
    if (label.find('*') != absl::string_view::npos) {
      return bad("wildcard names are not issued: name each host the agent is reached at");
    }
    if (label.front() == '-' || label.back() == '-') return bad("a label starts or ends with -");
    for (char c : label) {
      bool ok =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return bad("only letters, digits, '-' and '.' are allowed");
    }
  }
  return absl::OkStatus();
}

absl::Status AddGeneralName(GENERAL_NAMES* names, int type, const std::string& value) {
  Ossl<GENERAL_NAME> gen(GENERAL_NAME_new());
  if (gen == nullptr) return OpenSslError("subjectAltName");
  if (type == GEN_IPADD) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(value.c_str());
    if (ip == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat("\"", value, "\" is not an IP address"));
    }
    GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, ip);
  } else {
    Ossl<ASN1_IA5STRING> str(ASN1_IA5STRING_new());
    if (str == nullptr || ASN1_STRING_set(str.get(), value.data(), value.size()) != 1) {
      return OpenSslError("subjectAltName");
    }
    GENERAL_NAME_set0_value(gen.get(), type, str.release());
  }
  if (sk_GENERAL_NAME_push(names, gen.get()) == 0) return OpenSslError("subjectAltName");
  gen.release();
  return absl::OkStatus();
}

absl::Status AddSubjectAltName(X509* cert, const IssueOptions& options) {
  Ossl<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return OpenSslError("subjectAltName");
  absl::Status status = AddGeneralName(names.get(), GEN_URI, options.role_uri);
  if (!status.ok()) return status;
  for (const std::string& uri : options.extra_uris_for_tests) {
    status = AddGeneralName(names.get(), GEN_URI, uri);
    if (!status.ok()) return status;
  }
  for (const std::string& dns : options.dns_names) {
    status = ValidateDnsName(dns);
    if (!status.ok()) return status;
    status = AddGeneralName(names.get(), GEN_DNS, dns);
    if (!status.ok()) return status;
  }
  for (const std::string& ip : options.ip_addresses) {
    status = AddGeneralName(names.get(), GEN_IPADD, ip);
    if (!status.ok()) return status;
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), /*crit=*/0, X509V3_ADD_DEFAULT) !=
      1) {
    return OpenSslError("subjectAltName");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CreateCa(const std::string& cert_path, const std::string& key_path,
                      const std::string& common_name, int days) {
  absl::Status status = ValidateDays(days);
  if (!status.ok()) return status;
  if (common_name.empty()) return absl::InvalidArgumentError("CA common name is empty");
  struct stat st;
  if (::lstat(key_path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("CA key ", key_path, " already exists; refusing to replace it"));
  }
  ERR_clear_error();

  auto key = NewKey();
  if (!key.ok()) return key.status();
  Ossl<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("new certificate");
  }
  if (!(status = SetRandomSerial(cert.get())).ok()) return status;
  if (!(status = SetValidity(cert.get(), 0, days)).ok()) return status;
  if (!(status = SetCommonName(X509_get_subject_name(cert.get()), common_name)).ok()) {
    return status;
  }
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), key->get()) != 1) {
    return OpenSslError("CA certificate");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!(status = AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE")).ok() ||
      !(status = AddExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"))
           .ok() ||
      !(status = AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash")).ok()) {
    return status;
  }
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) == 0) {
    return OpenSslError("signing CA certificate");
  }

  auto key_pem = ToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  auto cert_pem = ToPem(cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  status = WriteFileWithMode(key_path, *key_pem, 0600, /*exclusive=*/true);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!status.ok()) return status;
  status = WriteFileWithMode(cert_path, *cert_pem, 0644, /*exclusive=*/false);
  if (!status.ok()) {
    ::unlink(key_path.c_str());  // a key without its certificate is of no use
    return status;
  }
  return absl::OkStatus();
}

absl::Status IssueCertificate(const IssueOptions& options) {
  absl::Status status = ValidateDays(options.days);
  if (!status.ok()) return status;
  if (options.not_before_offset_days < -kMaxDays || options.not_before_offset_days > kMaxDays) {
    return absl::InvalidArgumentError("not_before_offset_days is out of range");
  }
  std::optional<PeerRole> role = ParseRoleUri(options.role_uri);
  if (!role) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", options.role_uri, "\" is not an mmresync role URI"));
  }
  const bool coordinator = role->kind == PeerRole::Kind::kCoordinator;
  const std::string common_name = coordinator ? std::string("coordinator") : role->node;
  // A coordinator only ever dials: a server-capable certificate or host names would let
  // it pose as an agent.
  if (coordinator && !options.any_profile_for_tests &&
      (!options.dns_names.empty() || !options.ip_addresses.empty())) {
    return absl::InvalidArgumentError(
        "a coordinator certificate carries no DNS names or IP addresses (it is never a server)");
  }
  if (!options.extra_uris_for_tests.empty() && !options.any_profile_for_tests) {
    return absl::InvalidArgumentError("a certificate carries one role URI");
  }
  if (!options.overwrite_key) {
    struct stat st;
    if (::lstat(options.key_path.c_str(), &st) == 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "key file ", options.key_path,
          " already exists; refusing to replace it (--force replaces it and its certificate)"));
    }
  }
  ERR_clear_error();

  auto ca_cert = ReadCertificate(options.ca_cert_path);
  if (!ca_cert.ok()) return ca_cert.status();
  auto ca_key = ReadPrivateKey(options.ca_key_path);
  if (!ca_key.ok()) return ca_key.status();
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("CA key file ", options.ca_key_path,
                                                   " does not match CA certificate file ",
                                                   options.ca_cert_path));
  }
  if (X509_check_ca(ca_cert->get()) < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("CA certificate file ", options.ca_cert_path, ": not a CA certificate"));
  }

  auto key = NewKey();
  if (!key.ok()) return key.status();
  Ossl<X509> cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslError("new certificate");
  }
  if (!(status = SetRandomSerial(cert.get())).ok()) return status;
  if (!(status = SetValidity(cert.get(), options.not_before_offset_days, options.days)).ok()) {
    return status;
  }
  if (!(status = SetCommonName(X509_get_subject_name(cert.get()), common_name)).ok()) {
    return status;
  }
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert->get())) != 1 ||
      X509_set_pubkey(cert.get(), key->get()) != 1) {
    return OpenSslError("certificate");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert->get(), cert.get(), nullptr, nullptr, 0);
  if (!(status = AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE")).ok() ||
      !(status = AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature")).ok() ||
      !(status = AddExtension(
            cert.get(), &ctx, NID_ext_key_usage,
            coordinator && !options.any_profile_for_tests ? "clientAuth" : "serverAuth,clientAuth"))
           .ok() ||
      !(status = AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash")).ok() ||
      !(status = AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"))
           .ok()) {
    return status;
  }
  if (!(status = AddSubjectAltName(cert.get(), options)).ok()) return status;
  if (X509_sign(cert.get(), ca_key->get(), EVP_sha256()) == 0) {
    return OpenSslError("signing certificate");
  }

  auto key_pem = ToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  auto cert_pem = ToPem(cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  status = WriteFileWithMode(options.key_path, *key_pem, 0600, /*exclusive=*/false);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  if (!status.ok()) return status;
  return WriteFileWithMode(options.cert_path, *cert_pem, 0644, /*exclusive=*/false);
}

absl::StatusOr<std::string> RoleUriFor(std::string_view role, std::string_view name) {
  if (role == "coordinator") return std::string(kCoordinatorUri);
  if (role == "agent") {
    std::string uri = absl::StrCat(kAgentUriPrefix, std::string(name));
    if (!ParseRoleUri(uri)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agent name \"", std::string(name), "\" is not a node name ([A-Za-z0-9_.-]{1,64})"));
    }
    return uri;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", std::string(role), "\" is not one of: coordinator, agent"));
}

}  // namespace mmresync
