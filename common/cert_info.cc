#include "common/cert_info.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files.h"
#include "common/tls.h"

namespace mmresync {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};

}  // namespace

absl::StatusOr<CertificateFacts> CertificateFactsFromPem(absl::string_view pem,
                                                         absl::string_view what) {
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, X509Free> cert(
      bio == nullptr ? nullptr : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate"));
  }
  CertificateFacts facts;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      facts.uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                              static_cast<size_t>(ASN1_STRING_length(uri)));
    }
  }
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(what, ": unreadable notAfter"));
  }
  facts.not_after = absl::FromTimeT(timegm(&tm));
  return facts;
}

absl::StatusOr<CertificateFacts> ReadCertificateFacts(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return CertificateFactsFromPem(*text, absl::StrCat("certificate file ", path));
}

absl::Status CheckCertificateNamesAgent(const std::string& cert_path, absl::string_view node) {
  auto facts = ReadCertificateFacts(cert_path);
  if (!facts.ok()) return facts.status();
  bool named = false;
  bool other_role = false;
  for (const std::string& uri : facts->uris) {
    std::optional<PeerRole> role = ParseRoleUri(uri);
    if (!role) continue;
    if (role->kind == PeerRole::Kind::kAgent && role->node == node) {
      named = true;
    } else {
      other_role = true;
    }
  }
  if (named && !other_role) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("certificate file ", cert_path, " does not name this agent: agent.name is \"",
                   node, "\", so its subjectAltName must carry ", kAgentUriPrefix, node,
                   other_role ? " and no other mmresync role" : "", "; it has ",
                   facts->uris.empty() ? std::string("no URI") : absl::StrJoin(facts->uris, ", ")));
}

std::string ExpiryWarning(const CertificateFacts& facts, absl::Time now, absl::Duration window) {
  if (facts.not_after - now > window) return "";
  const std::string date =
      absl::FormatTime("%Y-%m-%d %H:%M UTC", facts.not_after, absl::UTCTimeZone());
  if (facts.not_after <= now) {
    return absl::StrCat("expired ", absl::ToInt64Hours(now - facts.not_after) / 24, " days ago (",
                        date, ")");
  }
  return absl::StrCat("expires in ", absl::ToInt64Hours(facts.not_after - now) / 24, " days (",
                      date, ")");
}

}  // namespace mmresync
