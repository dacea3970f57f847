// `status`'s certificate warnings (coordinator/cert_expiry.h): the coordinator's own
// certificate and the CA from their files; agents' certificates only as presented.

#include "coordinator/cert_expiry.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/cert_authority.h"
#include "common/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync::coordinator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::TempDir;

ClusterSession SessionWith(const TlsFiles& tls) {
  ClusterSession session;
  session.config.tls = tls;
  // Never dialled here: a channel connects only when a call is made.
  session.a =
      std::make_unique<AgentClient>(NodeEntry{"db1", "127.0.0.1:1", "127.0.0.1", 3306}, nullptr);
  session.b =
      std::make_unique<AgentClient>(NodeEntry{"db2", "127.0.0.1:2", "127.0.0.1", 3306}, nullptr);
  return session;
}

TEST(CertExpiryTest, NamesTheCaAndTheCoordinatorCertificateByFile) {
  TempDir dir;
  ASSERT_TRUE(CreateCa(dir.File("ca.pem"), dir.File("ca.key"), "CA", 20).ok());
  IssueOptions o;
  o.ca_cert_path = dir.File("ca.pem");
  o.ca_key_path = dir.File("ca.key");
  o.cert_path = dir.File("c.pem");
  o.key_path = dir.File("c.key");
  o.role_uri = kCoordinatorUri;
  o.days = 365;
  ASSERT_TRUE(IssueCertificate(o).ok());
  ClusterSession session = SessionWith({dir.File("ca.pem"), dir.File("c.pem"), dir.File("c.key")});
  std::vector<std::string> warnings = CertificateExpiryWarnings(session, absl::Now());
  ASSERT_THAT(warnings, ElementsAre(HasSubstr("the cluster CA certificate")));
  EXPECT_THAT(warnings[0], HasSubstr(absl::StrCat(dir.File("ca.pem"), " expires in 19 days")));

  // A year later both have ended.
  warnings = CertificateExpiryWarnings(session, absl::Now() + absl::Hours(24 * 366));
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("the coordinator's certificate"),
                                    HasSubstr("the cluster CA certificate")));
  EXPECT_THAT(warnings[0], HasSubstr("expired"));
}

TEST(CertExpiryTest, AgentsNotReachedAreNotNamed) {
  TempDir dir;
  ASSERT_TRUE(CreateCa(dir.File("ca.pem"), dir.File("ca.key"), "CA", 3650).ok());
  ClusterSession session =
      SessionWith({dir.File("ca.pem"), dir.File("ca.pem"), dir.File("ca.key")});
  EXPECT_THAT(CertificateExpiryWarnings(session, absl::Now()), IsEmpty());
}

}  // namespace
}  // namespace mmresync::coordinator
