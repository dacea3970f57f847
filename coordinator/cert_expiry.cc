#include "coordinator/cert_expiry.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/cert_info.h"

namespace mmresync::coordinator {

std::vector<std::string> CertificateExpiryWarnings(const ClusterSession& session, absl::Time now) {
  std::vector<std::string> out;
  const TlsFiles& tls = session.config.tls;
  for (const auto& [path, what] : {std::pair{tls.cert, "the coordinator's certificate"},
                                   std::pair{tls.ca, "the cluster CA certificate"}}) {
    auto facts = ReadCertificateFacts(path);
    if (!facts.ok()) continue;  // in use, so readable; a race with a renewal is not worth a line
    if (std::string when = ExpiryWarning(*facts, now, kCertificateWarningWindow); !when.empty()) {
      out.push_back(absl::StrCat(what, " ", path, " ", when));
    }
  }
  for (const AgentClient* client : {session.a.get(), session.b.get()}) {
    std::optional<absl::Time> not_after = client->presented_cert_not_after();
    if (!not_after.has_value()) continue;
    CertificateFacts facts;
    facts.not_after = *not_after;
    if (std::string when = ExpiryWarning(facts, now, kCertificateWarningWindow); !when.empty()) {
      out.push_back(absl::StrCat("agent ", client->node().name, "'s certificate (as presented at ",
                                 client->node().agent, ") ", when));
    }
  }
  return out;
}

}  // namespace mmresync::coordinator
