#pragma once

// What mmresync reads out of a certificate it did not make: the role URIs in its
// subjectAltName and the end of its validity. Used by the agent's start-up check (its
// own certificate must name its node) and by `status`'s expiry warnings.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mmresync {

struct CertificateFacts {
  std::vector<std::string> uris;  // every URI subjectAltName, in order
  absl::Time not_after;
};

// The first certificate of a PEM text; `what` names its origin in errors.
absl::StatusOr<CertificateFacts> CertificateFactsFromPem(absl::string_view pem,
                                                         absl::string_view what);
// The same from a file.
absl::StatusOr<CertificateFacts> ReadCertificateFacts(const std::string& path);

// OK when the certificate in `cert_path` carries urn:mmresync:agent:<node> and no other
// mmresync role; FailedPrecondition naming the file, the node and the URIs it has
// otherwise.
absl::Status CheckCertificateNamesAgent(const std::string& cert_path, absl::string_view node);

// "expires in N days (YYYY-MM-DD)" / "expired N days ago (YYYY-MM-DD)" when `facts`
// end within `window` of `now`; empty when not.
std::string ExpiryWarning(const CertificateFacts& facts, absl::Time now, absl::Duration window);

}  // namespace mmresync
