// What `certs issue` makes and refuses (issue 11, item 2 and 7), and what the product
// reads back out of a certificate (common/cert_info.h).

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/cert_authority.h"
#include "common/cert_info.h"
#include "common/tls.h"
#include "coordinator/certs_command.h"
#include "gtest/gtest.h"
#include "tests/unit/temp_dir.h"

namespace mmresync {
namespace {

using testing_util::TempDir;

// The extendedKeyUsage bits (XKU_SSL_SERVER / XKU_SSL_CLIENT) of the certificate in `path`.
uint32_t ExtendedKeyUsage(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return 0;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return 0;
  uint32_t xku = X509_get_extended_key_usage(cert);
  X509_free(cert);
  return xku;
}

class CertProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateCa(dir_.File("ca.pem"), dir_.File("ca.key"), "test CA", 30).ok());
  }
  IssueOptions Options(const std::string& out, const std::string& uri) const {
    IssueOptions o;
    o.ca_cert_path = dir_.File("ca.pem");
    o.ca_key_path = dir_.File("ca.key");
    o.cert_path = dir_.File(out + ".pem");
    o.key_path = dir_.File(out + ".key");
    o.role_uri = uri;
    return o;
  }
  TempDir dir_;
};

TEST_F(CertProfileTest, CoordinatorCertificateIsClientOnlyWithoutHostNames) {
  ASSERT_TRUE(IssueCertificate(Options("coordinator", kCoordinatorUri)).ok());
  const uint32_t xku = ExtendedKeyUsage(dir_.File("coordinator.pem"));
  EXPECT_TRUE(xku & XKU_SSL_CLIENT);
  EXPECT_FALSE(xku & XKU_SSL_SERVER) << "a coordinator certificate must not serve";

  IssueOptions with_ip = Options("c-ip", kCoordinatorUri);
  with_ip.ip_addresses = {"127.0.0.1"};
  EXPECT_EQ(IssueCertificate(with_ip).code(), absl::StatusCode::kInvalidArgument);
  IssueOptions with_dns = Options("c-dns", kCoordinatorUri);
  with_dns.dns_names = {"localhost"};
  EXPECT_EQ(IssueCertificate(with_dns).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(dir_.Exists("c-ip.key"));
  EXPECT_FALSE(dir_.Exists("c-dns.key"));
  // The CLI says so before touching anything.
  EXPECT_EQ(coordinator::RunCertsIssue(dir_.path(), "coordinator", "", {"127.0.0.1"},
                                       dir_.File("c-cli"), 30),
            2);
  EXPECT_FALSE(dir_.Exists("c-cli.key"));

  // Agents keep both uses: they serve the coordinator and dial their peer.
  IssueOptions agent = Options("db1", absl::StrCat(kAgentUriPrefix, "db1"));
  agent.ip_addresses = {"127.0.0.1"};
  ASSERT_TRUE(IssueCertificate(agent).ok());
  const uint32_t agent_xku = ExtendedKeyUsage(dir_.File("db1.pem"));
  EXPECT_TRUE(agent_xku & XKU_SSL_CLIENT);
  EXPECT_TRUE(agent_xku & XKU_SSL_SERVER);
}

TEST_F(CertProfileTest, ASecondRoleUriIsOnlyForTestCertificates) {
  IssueOptions two = Options("two", kCoordinatorUri);
  two.extra_uris_for_tests = {absl::StrCat(kAgentUriPrefix, "db1")};
  EXPECT_EQ(IssueCertificate(two).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(dir_.Exists("two.key"));
  two.any_profile_for_tests = true;
  ASSERT_TRUE(IssueCertificate(two).ok());
}

TEST_F(CertProfileTest, WildcardNamesAreRefused) {
  for (const char* name : {"*.example.org", "db*.example.org", "*"}) {
    IssueOptions o = Options("w", absl::StrCat(kAgentUriPrefix, "db1"));
    o.dns_names = {name};
    EXPECT_EQ(IssueCertificate(o).code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_FALSE(dir_.Exists("w.key")) << name;
  }
  EXPECT_EQ(coordinator::RunCertsIssue(dir_.path(), "agent", "db1", {"*.example.org"},
                                       dir_.File("w"), 30),
            2);
}

TEST_F(CertProfileTest, AnExistingKeyIsReplacedOnlyWithForce) {
  const std::string prefix = dir_.File("db1");
  ASSERT_EQ(coordinator::RunCertsIssue(dir_.path(), "agent", "db1", {"127.0.0.1"}, prefix, 30), 0);
  const std::string key = dir_.Read("db1.key");
  const std::string cert = dir_.Read("db1.pem");
  EXPECT_EQ(coordinator::RunCertsIssue(dir_.path(), "agent", "db1", {"127.0.0.1"}, prefix, 30), 1);
  EXPECT_EQ(dir_.Read("db1.key"), key) << "the key was replaced without --force";
  EXPECT_EQ(dir_.Read("db1.pem"), cert);
  EXPECT_EQ(IssueCertificate(Options("db1", absl::StrCat(kAgentUriPrefix, "db1"))).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(coordinator::RunCertsIssue(dir_.path(), "agent", "db1", {"127.0.0.1"}, prefix, 30,
                                       /*force=*/true),
            0);
  EXPECT_NE(dir_.Read("db1.key"), key);
}

TEST_F(CertProfileTest, LeavesDefaultToOneYear) {
  EXPECT_EQ(coordinator::kDefaultCertDays, 365);
  EXPECT_EQ(IssueOptions().days, 365);
  ASSERT_EQ(coordinator::RunCertsIssue(dir_.path(), "coordinator", "", {}, dir_.File("c")), 0);
  auto facts = ReadCertificateFacts(dir_.File("c.pem"));
  ASSERT_TRUE(facts.ok()) << facts.status();
  // Issued an hour in the past for clock skew, so a few hours either side of 365 days.
  EXPECT_NEAR(absl::ToDoubleHours(facts->not_after - absl::Now()), 365 * 24, 2);
}

TEST_F(CertProfileTest, FactsNameUrisAndEnd) {
  IssueOptions o = Options("db2", absl::StrCat(kAgentUriPrefix, "db2"));
  o.ip_addresses = {"127.0.0.1"};
  o.days = 10;
  ASSERT_TRUE(IssueCertificate(o).ok());
  auto facts = ReadCertificateFacts(dir_.File("db2.pem"));
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->uris, std::vector<std::string>{"urn:mmresync:agent:db2"});
  EXPECT_NEAR(absl::ToDoubleHours(facts->not_after - absl::Now()), 10 * 24, 2);

  EXPECT_TRUE(CheckCertificateNamesAgent(dir_.File("db2.pem"), "db2").ok());
  absl::Status wrong = CheckCertificateNamesAgent(dir_.File("db2.pem"), "db1");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.message().find("urn:mmresync:agent:db2"), absl::string_view::npos) << wrong;
  EXPECT_NE(wrong.message().find(dir_.File("db2.pem")), absl::string_view::npos) << wrong;
  ASSERT_TRUE(IssueCertificate(Options("coord", kCoordinatorUri)).ok());
  EXPECT_FALSE(CheckCertificateNamesAgent(dir_.File("coord.pem"), "db1").ok());
  EXPECT_EQ(CheckCertificateNamesAgent(dir_.File("absent.pem"), "db1").code(),
            absl::StatusCode::kNotFound);
}

TEST(ExpiryWarningTest, WarnsInsideTheWindowOnly) {
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  CertificateFacts facts;
  facts.not_after = now + absl::Hours(24 * 40);
  EXPECT_EQ(ExpiryWarning(facts, now, absl::Hours(24 * 30)), "");
  facts.not_after = now + absl::Hours(24 * 12 + 1);
  EXPECT_EQ(ExpiryWarning(facts, now, absl::Hours(24 * 30)),
            "expires in 12 days (2027-01-27 09:00 UTC)");
  facts.not_after = now - absl::Hours(24 * 3);
  EXPECT_EQ(ExpiryWarning(facts, now, absl::Hours(24 * 30)),
            "expired 3 days ago (2027-01-12 08:00 UTC)");
}

}  // namespace
}  // namespace mmresync
