#include "common/pki/identity.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "common/crypto/sha256.h"
#include "common/pki/authority.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::pki {
namespace {

using ::testing::HasSubstr;

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kServer, Role::kAdmin, Role::kDevice}) {
    absl::StatusOr<Role> parsed = ParseRole(RoleName(role));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(RoleName(Role::kDevice), "device");
  absl::StatusOr<Role> bad = ParseRole("root");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("'root'"));
}

TEST(IsValidClientIdTest, AcceptsDocumentedAlphabetOnly) {
  EXPECT_TRUE(IsValidClientId("a"));
  EXPECT_TRUE(IsValidClientId("Edge_01.site-3"));
  EXPECT_TRUE(IsValidClientId("0device"));
  EXPECT_TRUE(IsValidClientId(std::string(64, 'z')));
  EXPECT_FALSE(IsValidClientId(""));
  EXPECT_FALSE(IsValidClientId(std::string(65, 'z')));
  EXPECT_FALSE(IsValidClientId(".hidden"));
  EXPECT_FALSE(IsValidClientId("-flag"));
  EXPECT_FALSE(IsValidClientId("a/b"));
  EXPECT_FALSE(IsValidClientId("a b"));
  EXPECT_FALSE(IsValidClientId("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidClientId("a\tb"));
}

TEST(NormalizeSerialHexTest, LowerCaseWithoutLeadingZeros) {
  EXPECT_EQ(NormalizeSerialHex("00AB12"), "ab12");
  EXPECT_EQ(NormalizeSerialHex("0A:1B:2C"), "a1b2c");
  EXPECT_EQ(NormalizeSerialHex("ff"), "ff");
  EXPECT_EQ(NormalizeSerialHex("0"), "0");
  EXPECT_EQ(NormalizeSerialHex("0000"), "0");
  EXPECT_EQ(NormalizeSerialHex(""), "");
  EXPECT_EQ(NormalizeSerialHex("12g4"), "");
  EXPECT_EQ(NormalizeSerialHex("-12"), "");
}

class IdentityFromPemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fedge::testing::MakeTempDir("identity");
    ASSERT_TRUE(InitFederation(dir_, InitOptions()).ok());
    ASSERT_TRUE(IssueClient(dir_, "edge-7").ok());
  }
  std::string Read(const std::string& path) { return *util::ReadFile(path); }
  std::string dir_;
};

TEST_F(IdentityFromPemTest, DeviceCertificateGivesIdRoleSerialAndFingerprint) {
  std::string pem = Read(PkiPaths(dir_).client_cert("edge-7"));
  absl::StatusOr<PeerIdentity> identity = IdentityFromPem(pem);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->id, "edge-7");
  EXPECT_EQ(identity->role, Role::kDevice);

  // Cross-check against OpenSSL's own view of the same certificate.
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  ASSERT_EQ(X509_digest(cert, EVP_sha256(), digest, &digest_len), 1);
  EXPECT_EQ(identity->fingerprint_sha256,
            crypto::ToHex(absl::string_view(reinterpret_cast<char*>(digest),
                                            digest_len)));
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(serial);
  std::string expected = hex;
  for (char& c : expected) c = static_cast<char>(tolower(c));
  while (expected.size() > 1 && expected[0] == '0') expected.erase(0, 1);
  EXPECT_EQ(identity->serial_hex, expected);
  OPENSSL_free(hex);
  BN_free(serial);
  X509_free(cert);
}

TEST_F(IdentityFromPemTest, ServerAndAdminRoles) {
  absl::StatusOr<PeerIdentity> server =
      IdentityFromPem(Read(PkiPaths(dir_).server_cert()));
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->role, Role::kServer);
  EXPECT_EQ(server->id, "localhost");
  absl::StatusOr<PeerIdentity> admin =
      IdentityFromPem(Read(PkiPaths(dir_).admin_cert()));
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->role, Role::kAdmin);
}

TEST_F(IdentityFromPemTest, FirstCertificateOfAChainIsUsed) {
  std::string chain = Read(PkiPaths(dir_).client_cert("edge-7")) +
                      Read(PkiPaths(dir_).ca_cert());
  absl::StatusOr<PeerIdentity> identity = IdentityFromPem(chain);
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->id, "edge-7");
}

TEST_F(IdentityFromPemTest, CaCertificateHasNoFedgeRole) {
  absl::StatusOr<PeerIdentity> identity =
      IdentityFromPem(Read(PkiPaths(dir_).ca_cert()));
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(identity.status().message(), HasSubstr("no fedge role"));
}

TEST(IdentityFromPemErrorsTest, GarbageIsInvalidArgument) {
  EXPECT_EQ(IdentityFromPem("").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<PeerIdentity> identity = IdentityFromPem("hello");
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(identity.status().message(), HasSubstr("not a PEM certificate"));
}

}  // namespace
}  // namespace fedge::pki
