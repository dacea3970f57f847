#pragma once

// `status`'s certificate lifecycle check (issue 11, item 7): every certificate in use
// that ends within kCertificateWarningWindow, named by file or by node, with its date.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "coordinator/cluster_session.h"

namespace mmresync::coordinator {

inline constexpr absl::Duration kCertificateWarningWindow = absl::Hours(24 * 30);

// The coordinator's own certificate and the CA (from the files cluster.toml names) and
// each agent's certificate as it presented it on this session's last status call (an
// agent not reached yet is not named). One line per certificate, without a prefix.
std::vector<std::string> CertificateExpiryWarnings(const ClusterSession& session, absl::Time now);

}  // namespace mmresync::coordinator
