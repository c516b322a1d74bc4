#include "common/crypto/certificate_signature.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

using ::testing::HasSubstr;

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// DER INTEGER of a non-negative big-endian magnitude: leading zero bytes
// dropped, a 0x00 prepended when the top bit is set (X.690 8.3).
std::string DerInteger(std::string magnitude) {
  size_t first = magnitude.find_first_not_of('\0');
  magnitude = first == std::string::npos ? std::string(1, '\0')
                                         : magnitude.substr(first);
  if (static_cast<uint8_t>(magnitude[0]) & 0x80) magnitude.insert(0, 1, '\0');
  return std::string(1, '\x02') +
         std::string(1, static_cast<char>(magnitude.size())) + magnitude;
}

// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 2.2.3).
std::string DerSignature(absl::string_view r_hex, absl::string_view s_hex) {
  std::string body = DerInteger(Unhex(r_hex)) + DerInteger(Unhex(s_hex));
  return std::string(1, '\x30') +
         std::string(1, static_cast<char>(body.size())) + body;
}

// RFC 6979 Appendix A.2.5: the P-256 key pair's public key U = (Ux, Uy).
const std::string kRfc6979PublicPoint = Unhex(
    "04"
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299");

// RFC 6979 Appendix A.2.5, "With SHA-256, message = "sample"".
const std::string kSampleSignature = DerSignature(
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
// RFC 6979 Appendix A.2.5, "With SHA-256, message = "test"".
const std::string kTestSignature = DerSignature(
    "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
    "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083");

TEST(EcdsaP256KnownAnswerTest, Rfc6979A25SampleVerifies) {
  absl::Status status =
      VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "sample", kSampleSignature);
  EXPECT_TRUE(status.ok()) << status;
}

TEST(EcdsaP256KnownAnswerTest, Rfc6979A25TestVerifies) {
  absl::Status status =
      VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "test", kTestSignature);
  EXPECT_TRUE(status.ok()) << status;
}

TEST(EcdsaP256KnownAnswerTest, ModifiedMessageIsPermissionDenied) {
  absl::Status status =
      VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "samplf", kSampleSignature);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("does not verify"));
  // Each published signature belongs to its own message only.
  EXPECT_EQ(VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "test", kSampleSignature)
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(EcdsaP256KnownAnswerTest, ModifiedOrMalformedSignatureIsPermissionDenied) {
  std::string flipped = kSampleSignature;
  flipped[flipped.size() - 1] ^= 0x01;
  EXPECT_EQ(
      VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "sample", flipped).code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "sample", "garbage").code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "sample", "").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(EcdsaP256KnownAnswerTest, BadPublicPointIsInvalidArgument) {
  EXPECT_EQ(VerifyEcdsaP256Sha256(kRfc6979PublicPoint.substr(0, 64), "sample",
                                  kSampleSignature)
                .code(),
            absl::StatusCode::kInvalidArgument);
  std::string compressed_tag = kRfc6979PublicPoint;
  compressed_tag[0] = 0x02;
  EXPECT_EQ(
      VerifyEcdsaP256Sha256(compressed_tag, "sample", kSampleSignature).code(),
      absl::StatusCode::kInvalidArgument);
  std::string off_curve = kRfc6979PublicPoint;
  off_curve[64] ^= 0x01;  // changes Uy: no longer on the curve
  absl::Status status =
      VerifyEcdsaP256Sha256(off_curve, "sample", kSampleSignature);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("P-256 curve"));
}

// --- Keys and certificates made in the test with OpenSSL's EVP/X509 API ---

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free_all)>;

constexpr long kDay = 24 * 60 * 60;

KeyPtr NewKey(const char* algorithm, const char* curve = nullptr) {
  EVP_PKEY* key = curve == nullptr
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, algorithm)
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, algorithm, curve);
  EXPECT_NE(key, nullptr);
  return KeyPtr(key, &EVP_PKEY_free);
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string Pkcs8Pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                     nullptr, nullptr),
            1);
  return BioText(bio.get());
}

std::string Sec1Pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr,
                                                 nullptr, 0, nullptr, nullptr),
            1);
  return BioText(bio.get());
}

std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  EXPECT_EQ(PEM_write_bio_X509(bio.get(), cert), 1);
  return BioText(bio.get());
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(X509_add_ext(cert, ext, -1), 1);
  X509_EXTENSION_free(ext);
}

// A certificate for `subject_key` named `cn`, valid from now+not_before to
// now+not_after seconds, signed by `issuer_key` (self-signed when `issuer`
// is null). CA certificates get CA:TRUE and keyCertSign.
CertPtr MakeCertificate(const char* cn, EVP_PKEY* subject_key, X509* issuer,
                        EVP_PKEY* issuer_key, bool is_ca, long not_before,
                        long not_after, long serial) {
  CertPtr cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1,
                             0);
  X509_set_issuer_name(
      cert.get(), issuer == nullptr ? name : X509_get_subject_name(issuer));
  X509* issuer_cert = issuer == nullptr ? cert.get() : issuer;
  if (is_ca) {
    AddExtension(cert.get(), issuer_cert, NID_basic_constraints,
                 "critical,CA:TRUE");
    AddExtension(cert.get(), issuer_cert, NID_key_usage,
                 "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), issuer_cert, NID_basic_constraints,
                 "critical,CA:FALSE");
    AddExtension(cert.get(), issuer_cert, NID_key_usage,
                 "critical,digitalSignature");
  }
  EXPECT_GT(X509_sign(cert.get(), issuer_key, EVP_sha256()), 0);
  return cert;
}

class CertificateSignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_key_ = NewKey("EC", "P-256");
    ca_ = MakeCertificate("fedge CA", ca_key_.get(), nullptr, ca_key_.get(),
                          /*is_ca=*/true, -kDay, 365 * kDay, 1);
    client_key_ = NewKey("EC", "P-256");
    client_ =
        MakeCertificate("client-7", client_key_.get(), ca_.get(), ca_key_.get(),
                        /*is_ca=*/false, -kDay, 30 * kDay, 2);
  }

  KeyPtr ca_key_{nullptr, &EVP_PKEY_free};
  CertPtr ca_{nullptr, &X509_free};
  KeyPtr client_key_{nullptr, &EVP_PKEY_free};
  CertPtr client_{nullptr, &X509_free};
};

TEST_F(CertificateSignatureTest, Pkcs8KeySignatureVerifiesWithCertificate) {
  absl::StatusOr<std::string> sig =
      SignWithPrivateKeyPem(Pkcs8Pem(client_key_.get()), "advertised keys");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ((*sig)[0], '\x30');  // a DER SEQUENCE
  absl::Status status =
      VerifyWithCertificate(CertPem(client_.get()), "advertised keys", *sig);
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(CertificateSignatureTest, Sec1KeySignatureVerifiesWithCertificate) {
  const std::string pem = Sec1Pem(client_key_.get());
  ASSERT_THAT(pem, HasSubstr("-----BEGIN EC PRIVATE KEY-----"));
  absl::StatusOr<std::string> sig = SignWithPrivateKeyPem(pem, "message");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_TRUE(
      VerifyWithCertificate(CertPem(client_.get()), "message", *sig).ok());
}

TEST_F(CertificateSignatureTest, EmptyMessageSignsAndVerifies) {
  absl::StatusOr<std::string> sig =
      SignWithPrivateKeyPem(Pkcs8Pem(client_key_.get()), absl::string_view());
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_TRUE(VerifyWithCertificate(CertPem(client_.get()), "", *sig).ok());
  EXPECT_FALSE(VerifyWithCertificate(CertPem(client_.get()), "x", *sig).ok());
}

TEST_F(CertificateSignatureTest, ModifiedMessageOrSignatureIsPermissionDenied) {
  absl::StatusOr<std::string> sig =
      SignWithPrivateKeyPem(Pkcs8Pem(client_key_.get()), "advertised keys");
  ASSERT_TRUE(sig.ok());
  absl::Status status =
      VerifyWithCertificate(CertPem(client_.get()), "advertised keyz", *sig);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  std::string bad = *sig;
  bad[bad.size() - 2] ^= 0x01;
  EXPECT_EQ(
      VerifyWithCertificate(CertPem(client_.get()), "advertised keys", bad)
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(CertificateSignatureTest, SignatureByAnotherKeyIsPermissionDenied) {
  // The server cannot substitute keys signed by someone else's key.
  KeyPtr other = NewKey("EC", "P-256");
  absl::StatusOr<std::string> sig =
      SignWithPrivateKeyPem(Pkcs8Pem(other.get()), "advertised keys");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(
      VerifyWithCertificate(CertPem(client_.get()), "advertised keys", *sig)
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(CertificateSignatureTest, NonP256KeysAreInvalidArgument) {
  KeyPtr p384 = NewKey("EC", "P-384");
  absl::StatusOr<std::string> sig =
      SignWithPrivateKeyPem(Pkcs8Pem(p384.get()), "m");
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sig.status().message(), HasSubstr("secp384r1"));
  KeyPtr ed = NewKey("ED25519");
  sig = SignWithPrivateKeyPem(Pkcs8Pem(ed.get()), "m");
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sig.status().message(), HasSubstr("ED25519"));
  sig = SignWithPrivateKeyPem("-----BEGIN PRIVATE KEY-----\nxx\n", "m");
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(sig.status().message(), HasSubstr("PEM private key"));
}

TEST_F(CertificateSignatureTest, GarbageCertificateIsInvalidArgument) {
  absl::Status status = VerifyWithCertificate("not a cert", "m", "sig");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_EQ(VerifyCertificateChain("not a cert", CertPem(ca_.get())).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyCertificateChain(CertPem(client_.get()), "").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CertificateSignatureTest, CertificateIssuedByTheCaVerifies) {
  absl::Status status =
      VerifyCertificateChain(CertPem(client_.get()), CertPem(ca_.get()));
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(CertificateSignatureTest, CertificateOfAnotherCaIsPermissionDenied) {
  KeyPtr other_ca_key = NewKey("EC", "P-256");
  // Same subject name as the real CA: only the signature tells them apart.
  CertPtr other_ca =
      MakeCertificate("fedge CA", other_ca_key.get(), nullptr,
                      other_ca_key.get(), /*is_ca=*/true, -kDay, 365 * kDay, 1);
  KeyPtr key = NewKey("EC", "P-256");
  CertPtr foreign =
      MakeCertificate("client-7", key.get(), other_ca.get(), other_ca_key.get(),
                      /*is_ca=*/false, -kDay, 30 * kDay, 2);
  absl::Status status =
      VerifyCertificateChain(CertPem(foreign.get()), CertPem(ca_.get()));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("signature failure"));
  // And a CA that has nothing to do with the certificate's issuer name.
  CertPtr unrelated_ca =
      MakeCertificate("another federation", other_ca_key.get(), nullptr,
                      other_ca_key.get(), /*is_ca=*/true, -kDay, 365 * kDay, 3);
  status = VerifyCertificateChain(CertPem(client_.get()),
                                  CertPem(unrelated_ca.get()));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("unable to get local issuer"));
}

TEST_F(CertificateSignatureTest, ExpiredCertificateIsPermissionDenied) {
  KeyPtr key = NewKey("EC", "P-256");
  CertPtr expired =
      MakeCertificate("client-8", key.get(), ca_.get(), ca_key_.get(),
                      /*is_ca=*/false, -10 * kDay, -kDay, 4);
  absl::Status status =
      VerifyCertificateChain(CertPem(expired.get()), CertPem(ca_.get()));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("certificate has expired"));
}

TEST_F(CertificateSignatureTest, NotYetValidCertificateIsPermissionDenied) {
  KeyPtr key = NewKey("EC", "P-256");
  CertPtr future =
      MakeCertificate("client-9", key.get(), ca_.get(), ca_key_.get(),
                      /*is_ca=*/false, kDay, 10 * kDay, 5);
  absl::Status status =
      VerifyCertificateChain(CertPem(future.get()), CertPem(ca_.get()));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("not yet valid"));
}

TEST_F(CertificateSignatureTest, FailuresLeaveOpenSslErrorQueueEmpty) {
  // Stale entries on this thread's queue would be misread by the next
  // OpenSSL user on the thread (a TLS stack's SSL_get_error, for one).
  ERR_clear_error();
  EXPECT_FALSE(SignWithPrivateKeyPem("junk", "m").ok());
  EXPECT_FALSE(VerifyWithCertificate("junk", "m", "sig").ok());
  EXPECT_FALSE(VerifyCertificateChain("junk", CertPem(ca_.get())).ok());
  KeyPtr other = NewKey("EC", "P-256");
  CertPtr foreign = MakeCertificate("x", other.get(), nullptr, other.get(),
                                    /*is_ca=*/false, -kDay, kDay, 9);
  EXPECT_FALSE(
      VerifyCertificateChain(CertPem(foreign.get()), CertPem(ca_.get())).ok());
  std::string off_curve = kRfc6979PublicPoint;
  off_curve[64] ^= 0x01;
  EXPECT_FALSE(
      VerifyEcdsaP256Sha256(off_curve, "sample", kSampleSignature).ok());
  EXPECT_FALSE(
      VerifyEcdsaP256Sha256(kRfc6979PublicPoint, "sample", "garbage").ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace fedge::crypto
