#include "common/pki/authority.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/pki/identity.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::pki {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct CrlFree {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string Slurp(const std::string& path) {
  absl::StatusOr<std::string> data = util::ReadFile(path);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *data : "";
}

X509Ptr LoadCert(const std::string& path) {
  std::string pem = Slurp(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  EXPECT_NE(cert, nullptr) << path;
  return cert;
}

CrlPtr LoadCrl(const std::string& path) {
  std::string pem = Slurp(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  CrlPtr crl(PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  EXPECT_NE(crl, nullptr) << path;
  return crl;
}

KeyPtr LoadPrivateKey(const std::string& path) {
  std::string pem = Slurp(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  KeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  EXPECT_NE(key, nullptr) << path;
  return key;
}

std::string NameField(const X509_NAME* name, int nid) {
  char buf[256] = {};
  if (X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(name), nid, buf,
                                sizeof(buf)) < 0) {
    return "";
  }
  return buf;
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// X509_verify_cert against a store holding only the CA, for `purpose`.
int VerifyWithCa(X509* ca, X509* cert, int purpose) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int result = X509_verify_cert(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return result;
}

std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    int type = 0;
    auto* value =
        static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(name, &type));
    std::string bytes(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
        static_cast<size_t>(ASN1_STRING_length(value)));
    if (type == GEN_DNS) {
      out.push_back("DNS:" + bytes);
    } else if (type == GEN_URI) {
      out.push_back("URI:" + bytes);
    } else if (type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(bytes.size() == 4 ? AF_INET : AF_INET6, bytes.data(), text,
                sizeof(text));
      out.push_back(absl::StrCat("IP:", text));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::vector<std::string> CrlSerials(X509_CRL* crl) {
  std::vector<std::string> out;
  const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(
        X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)),
        nullptr);
    char* hex = BN_bn2hex(bn);
    out.push_back(NormalizeSerialHex(hex));
    OPENSSL_free(hex);
    BN_free(bn);
  }
  return out;
}

long CrlNumber(X509_CRL* crl) {
  auto* n = static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  long value = n == nullptr ? -1 : ASN1_INTEGER_get(n);
  ASN1_INTEGER_free(n);
  return value;
}

// Seconds from now to `t` (negative: in the past).
long SecondsFromNow(const ASN1_TIME* t) {
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, t), 1);
  return days * 86400L + seconds;
}

class AuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fedge::testing::MakeTempDir("pki");
    InitOptions options;
    options.federation_name = "test";
    options.server_names = {"localhost", "127.0.0.1", "::1", "agg.example.org"};
    options.validity_days = 30;
    ASSERT_TRUE(InitFederation(dir_, options).ok());
  }

  PkiPaths paths() const { return PkiPaths(dir_); }

  std::string dir_;
};

TEST_F(AuthorityTest, InitCreatesEveryFile) {
  for (const std::string& path :
       {paths().ca_cert(), paths().ca_key(), paths().server_cert(),
        paths().server_key(), paths().admin_cert(), paths().admin_key(),
        paths().audit_key(), paths().audit_pub(), paths().crl(),
        paths().issued_index(), util::JoinPath(dir_, "clients")}) {
    EXPECT_TRUE(util::PathExists(path)) << path;
  }
}

TEST_F(AuthorityTest, KeyFilesAreOwnerOnlyAndPublicFilesAreNot) {
  for (const std::string& path : {paths().ca_key(), paths().server_key(),
                                  paths().admin_key(), paths().audit_key()}) {
    EXPECT_EQ(Mode(path), 0600u) << path;
  }
  for (const std::string& path :
       {paths().ca_cert(), paths().server_cert(), paths().admin_cert(),
        paths().audit_pub(), paths().crl(), paths().issued_index()}) {
    EXPECT_EQ(Mode(path), 0644u) << path;
  }
}

TEST_F(AuthorityTest, CaIsSelfSignedP256WithCaConstraints) {
  X509Ptr ca = LoadCert(paths().ca_cert());
  const X509_NAME* subject = X509_get_subject_name(ca.get());
  EXPECT_EQ(NameField(subject, NID_organizationName), "fedge federation test");
  EXPECT_EQ(NameField(subject, NID_commonName), "test federation CA");
  EXPECT_EQ(NameField(subject, NID_organizationalUnitName), "");
  EXPECT_EQ(X509_NAME_cmp(subject, X509_get_issuer_name(ca.get())), 0);
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1);

  int crit = -1;
  auto* bc = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(ca.get(), NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_EQ(crit, 1);
  EXPECT_TRUE(bc->ca);
  EXPECT_EQ(ASN1_INTEGER_get(bc->pathlen), 0);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_EQ(X509_get_key_usage(ca.get()),
            uint32_t{KU_KEY_CERT_SIGN | KU_CRL_SIGN});

  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(ca.get());
  const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(ca.get());
  ASSERT_NE(skid, nullptr);
  ASSERT_NE(akid, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(skid, akid), 0);

  char group[64] = {};
  size_t len = 0;
  EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(ca.get()), "EC"));
  ASSERT_EQ(EVP_PKEY_get_group_name(X509_get0_pubkey(ca.get()), group,
                                    sizeof(group), &len),
            1);
  EXPECT_STREQ(group, "prime256v1");
}

TEST_F(AuthorityTest, ServerCertChainsToCaAndHasEverySan) {
  X509Ptr ca = LoadCert(paths().ca_cert());
  X509Ptr server = LoadCert(paths().server_cert());
  EXPECT_EQ(VerifyWithCa(ca.get(), server.get(), X509_PURPOSE_SSL_SERVER), 1);
  EXPECT_THAT(SubjectAltNames(server.get()),
              UnorderedElementsAre("DNS:localhost", "IP:127.0.0.1", "IP:::1",
                                   "DNS:agg.example.org"));
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(server.get(), "other.example.org", 0, 0, nullptr),
            0);
  const X509_NAME* subject = X509_get_subject_name(server.get());
  EXPECT_EQ(NameField(subject, NID_organizationalUnitName), "server");
  EXPECT_EQ(NameField(subject, NID_commonName), "localhost");
  EXPECT_EQ(X509_get_extended_key_usage(server.get()),
            uint32_t{XKU_SSL_SERVER});
  EXPECT_EQ(X509_get_key_usage(server.get()), uint32_t{KU_DIGITAL_SIGNATURE});
  // A server certificate is not a client certificate.
  EXPECT_NE(VerifyWithCa(ca.get(), server.get(), X509_PURPOSE_SSL_CLIENT), 1);
}

TEST_F(AuthorityTest, AdminCertIsAClientCertWithAdminRole) {
  X509Ptr ca = LoadCert(paths().ca_cert());
  X509Ptr admin = LoadCert(paths().admin_cert());
  EXPECT_EQ(VerifyWithCa(ca.get(), admin.get(), X509_PURPOSE_SSL_CLIENT), 1);
  EXPECT_EQ(X509_get_extended_key_usage(admin.get()), uint32_t{XKU_SSL_CLIENT});
  absl::StatusOr<PeerIdentity> identity =
      IdentityFromPem(Slurp(paths().admin_cert()));
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->role, Role::kAdmin);
  EXPECT_EQ(identity->id, "admin");
}

TEST_F(AuthorityTest, CertificatesAreValidFromFiveMinutesAgoForTheAskedDays) {
  X509Ptr server = LoadCert(paths().server_cert());
  long not_before = SecondsFromNow(X509_get0_notBefore(server.get()));
  long not_after = SecondsFromNow(X509_get0_notAfter(server.get()));
  EXPECT_GE(not_before, -300 - 60);
  EXPECT_LE(not_before, -300);
  EXPECT_GE(not_after, 30 * 86400L - 60);
  EXPECT_LE(not_after, 30 * 86400L);
  // The CA outlives its leaves: ten years at least.
  X509Ptr ca = LoadCert(paths().ca_cert());
  EXPECT_GE(SecondsFromNow(X509_get0_notAfter(ca.get())), 3650 * 86400L - 60);
}

TEST_F(AuthorityTest, AuditKeyIsEd25519Pkcs8WithMatchingPublicKey) {
  std::string key_pem = Slurp(paths().audit_key());
  std::string pub_pem = Slurp(paths().audit_pub());
  EXPECT_TRUE(absl::StartsWith(key_pem, "-----BEGIN PRIVATE KEY-----"));
  EXPECT_TRUE(absl::StartsWith(pub_pem, "-----BEGIN PUBLIC KEY-----"));
  KeyPtr key = LoadPrivateKey(paths().audit_key());
  BIO* bio = BIO_new_mem_buf(pub_pem.data(), static_cast<int>(pub_pem.size()));
  KeyPtr pub(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(EVP_PKEY_get_id(key.get()), EVP_PKEY_ED25519);
  EXPECT_EQ(EVP_PKEY_eq(key.get(), pub.get()), 1);
}

TEST_F(AuthorityTest, InitialCrlIsEmptyV2SignedByCa) {
  X509Ptr ca = LoadCert(paths().ca_cert());
  CrlPtr crl = LoadCrl(paths().crl());
  EXPECT_EQ(X509_CRL_get_version(crl.get()), 1);  // v2
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_TRUE(CrlSerials(crl.get()).empty());
  EXPECT_EQ(CrlNumber(crl.get()), 1);
  ASSERT_NE(X509_CRL_get0_nextUpdate(crl.get()), nullptr);
  EXPECT_GT(SecondsFromNow(X509_CRL_get0_nextUpdate(crl.get())), 0);
}

TEST_F(AuthorityTest, InitAgainIsAlreadyExistsUnlessForced) {
  std::string old_ca = Slurp(paths().ca_cert());
  absl::Status status = InitFederation(dir_, InitOptions());
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("--force"));
  EXPECT_EQ(Slurp(paths().ca_cert()), old_ca);

  InitOptions options;
  options.force = true;
  ASSERT_TRUE(InitFederation(dir_, options).ok());
  EXPECT_NE(Slurp(paths().ca_cert()), old_ca);
}

TEST(AuthorityInitTest, RejectsInvalidOptionsNamingTheValue) {
  std::string dir = fedge::testing::MakeTempDir("pki");
  InitOptions bad_name;
  bad_name.server_names = {"localhost", "bad name"};
  absl::Status status = InitFederation(dir, bad_name);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("'bad name'"));

  InitOptions no_names;
  no_names.server_names.clear();
  EXPECT_EQ(InitFederation(dir, no_names).code(),
            absl::StatusCode::kInvalidArgument);

  InitOptions bad_days;
  bad_days.validity_days = 0;
  EXPECT_EQ(InitFederation(dir, bad_days).code(),
            absl::StatusCode::kInvalidArgument);

  InitOptions bad_federation;
  bad_federation.federation_name = "";
  EXPECT_EQ(InitFederation(dir, bad_federation).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(util::PathExists(PkiPaths(dir).ca_key()));
}

TEST_F(AuthorityTest, IssueClientMakesDeviceCertWithIdAndUri) {
  ASSERT_TRUE(IssueClient(dir_, "edge-01.a_b", 10).ok());
  X509Ptr ca = LoadCert(paths().ca_cert());
  X509Ptr client = LoadCert(paths().client_cert("edge-01.a_b"));
  EXPECT_EQ(VerifyWithCa(ca.get(), client.get(), X509_PURPOSE_SSL_CLIENT), 1);
  const X509_NAME* subject = X509_get_subject_name(client.get());
  EXPECT_EQ(NameField(subject, NID_organizationName), "fedge federation test");
  EXPECT_EQ(NameField(subject, NID_organizationalUnitName), "device");
  EXPECT_EQ(NameField(subject, NID_commonName), "edge-01.a_b");
  EXPECT_THAT(SubjectAltNames(client.get()),
              UnorderedElementsAre("URI:fedge://device/edge-01.a_b"));
  EXPECT_EQ(X509_get_extended_key_usage(client.get()),
            uint32_t{XKU_SSL_CLIENT});
  EXPECT_EQ(Mode(paths().client_key("edge-01.a_b")), 0600u);
  EXPECT_EQ(Mode(paths().client_cert("edge-01.a_b")), 0644u);
  long not_after = SecondsFromNow(X509_get0_notAfter(client.get()));
  EXPECT_GE(not_after, 10 * 86400L - 60);
  EXPECT_LE(not_after, 10 * 86400L);

  // 128 random bits, positive.
  BIGNUM* serial =
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(client.get()), nullptr);
  EXPECT_FALSE(BN_is_negative(serial));
  EXPECT_LE(BN_num_bits(serial), 128);
  EXPECT_GT(BN_num_bits(serial), 64);  // fails with probability 2^-64
  BN_free(serial);

  EXPECT_THAT(Slurp(paths().issued_index()),
              HasSubstr("\tdevice\tedge-01.a_b\t"));
}

TEST_F(AuthorityTest, IssueClientRejectsInvalidIds) {
  for (const std::string& id :
       {std::string(""), std::string("../evil"), std::string(".hidden"),
        std::string("-dash"), std::string("a b"), std::string("a/b"),
        std::string(65, 'x')}) {
    absl::Status status = IssueClient(dir_, id);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(status.message(), HasSubstr("invalid client id")) << id;
  }
  EXPECT_TRUE(IssueClient(dir_, std::string(64, 'x')).ok());
}

TEST_F(AuthorityTest, IssueClientTwiceIsAlreadyExists) {
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  std::string first = Slurp(paths().client_cert("dev1"));
  absl::Status status = IssueClient(dir_, "dev1");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("fedge pki revoke"));
  EXPECT_EQ(Slurp(paths().client_cert("dev1")), first);
}

TEST_F(AuthorityTest, RevokePutsSerialInCrlSignedByCa) {
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  ASSERT_TRUE(IssueClient(dir_, "dev2").ok());
  absl::StatusOr<PeerIdentity> dev1 =
      IdentityFromPem(Slurp(paths().client_cert("dev1")));
  ASSERT_TRUE(dev1.ok());

  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  X509Ptr ca = LoadCert(paths().ca_cert());
  CrlPtr crl = LoadCrl(paths().crl());
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_THAT(CrlSerials(crl.get()), UnorderedElementsAre(dev1->serial_hex));
  EXPECT_EQ(CrlNumber(crl.get()), 2);
  const X509_REVOKED* entry =
      sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl.get()), 0);
  EXPECT_LE(std::abs(SecondsFromNow(X509_REVOKED_get0_revocationDate(entry))),
            60);
  EXPECT_THAT(Slurp(paths().issued_index()),
              HasSubstr(absl::StrCat(dev1->serial_hex, "\tdevice\tdev1\t")));

  // A second revocation keeps the first entry.
  absl::StatusOr<PeerIdentity> dev2 =
      IdentityFromPem(Slurp(paths().client_cert("dev2")));
  ASSERT_TRUE(dev2.ok());
  ASSERT_TRUE(RevokeClient(dir_, "dev2").ok());
  crl = LoadCrl(paths().crl());
  EXPECT_EQ(X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_THAT(CrlSerials(crl.get()),
              UnorderedElementsAre(dev1->serial_hex, dev2->serial_hex));
  EXPECT_EQ(CrlNumber(crl.get()), 3);
}

TEST_F(AuthorityTest, IndexMarksRevokedCertificate) {
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  std::vector<std::string> dev_lines;
  for (absl::string_view line :
       absl::StrSplit(Slurp(paths().issued_index()), '\n')) {
    if (absl::StrContains(line, "\tdev1\t")) dev_lines.emplace_back(line);
  }
  ASSERT_EQ(dev_lines.size(), 1u);
  EXPECT_TRUE(absl::EndsWith(dev_lines[0], "\trevoked")) << dev_lines[0];
}

TEST_F(AuthorityTest, ReissueAfterRevokeGetsANewSerial) {
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  std::string old_serial =
      IdentityFromPem(Slurp(paths().client_cert("dev1")))->serial_hex;
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  std::string new_serial =
      IdentityFromPem(Slurp(paths().client_cert("dev1")))->serial_hex;
  EXPECT_NE(new_serial, old_serial);
  CrlPtr crl = LoadCrl(paths().crl());
  EXPECT_THAT(CrlSerials(crl.get()), UnorderedElementsAre(old_serial));
  // The new certificate is active again, so a third issue is refused.
  EXPECT_EQ(IssueClient(dir_, "dev1").code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(AuthorityTest, RevokeUnknownIdIsNotFound) {
  absl::Status status = RevokeClient(dir_, "ghost");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("'ghost'"));
}

TEST_F(AuthorityTest, RevokeTwiceIsFailedPrecondition) {
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  absl::Status status = RevokeClient(dir_, "dev1");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("already revoked"));
  EXPECT_EQ(CrlSerials(LoadCrl(paths().crl()).get()).size(), 1u);
}

TEST_F(AuthorityTest, GroupReadableCaKeyIsRefusedWithChmodAdvice) {
  ASSERT_EQ(::chmod(paths().ca_key().c_str(), 0640), 0);
  absl::Status status = IssueClient(dir_, "dev1");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr(paths().ca_key()));
  EXPECT_THAT(status.message(), HasSubstr("chmod 600"));
  EXPECT_FALSE(util::PathExists(paths().client_cert("dev1")));
}

TEST_F(AuthorityTest, ReadKeyPairChecksModeAndMatch) {
  absl::StatusOr<PemKeyPair> pair =
      ReadKeyPair(paths().server_cert(), paths().server_key());
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_TRUE(absl::StartsWith(pair->cert_pem, "-----BEGIN CERTIFICATE-----"));
  EXPECT_TRUE(absl::StartsWith(pair->key_pem, "-----BEGIN PRIVATE KEY-----"));

  absl::StatusOr<PemKeyPair> mismatched =
      ReadKeyPair(paths().server_cert(), paths().admin_key());
  EXPECT_EQ(mismatched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatched.status().message(), HasSubstr(paths().admin_key()));

  ASSERT_EQ(::chmod(paths().server_key().c_str(), 0604), 0);
  absl::StatusOr<PemKeyPair> exposed =
      ReadKeyPair(paths().server_cert(), paths().server_key());
  EXPECT_EQ(exposed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(exposed.status().message(), HasSubstr("chmod 600"));

  absl::StatusOr<std::string> not_cert = ReadCertificatePem(paths().crl());
  EXPECT_EQ(not_cert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_cert.status().message(), HasSubstr(paths().crl()));
}

}  // namespace
}  // namespace fedge::pki
