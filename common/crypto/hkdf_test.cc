#include "common/crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/crypto/sha256.h"
#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

// Bytes first, first+1, ..., last (as RFC 5869's test case 2 lists them).
std::string ByteRange(int first, int last) {
  std::string out;
  for (int b = first; b <= last; ++b) out.push_back(static_cast<char>(b));
  return out;
}

// RFC 5869 Appendix A.1, Test Case 1: basic test case with SHA-256.
TEST(HkdfSha256Test, Rfc5869TestCase1) {
  absl::StatusOr<SecretBytes> okm =
      HkdfSha256(SecretBytes::Copy(absl::HexStringToBytes(
                     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")),
                 absl::HexStringToBytes("000102030405060708090a0b0c"),
                 absl::HexStringToBytes("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(ToHex(okm->view()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

// RFC 5869 Appendix A.2, Test Case 2: SHA-256 with longer inputs/outputs
// (IKM 0x00..0x4f, salt 0x60..0xaf, info 0xb0..0xff, L = 82).
TEST(HkdfSha256Test, Rfc5869TestCase2) {
  absl::StatusOr<SecretBytes> okm =
      HkdfSha256(SecretBytes::Copy(ByteRange(0x00, 0x4f)),
                 ByteRange(0x60, 0xaf), ByteRange(0xb0, 0xff), 82);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(ToHex(okm->view()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

// RFC 5869 Appendix A.3, Test Case 3: SHA-256 with zero-length salt and
// info (the empty salt means HashLen zero bytes).
TEST(HkdfSha256Test, Rfc5869TestCase3EmptySaltAndInfo) {
  absl::StatusOr<SecretBytes> okm =
      HkdfSha256(SecretBytes::Copy(absl::HexStringToBytes(
                     "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")),
                 "", "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(ToHex(okm->view()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

TEST(HkdfSha256Test, EmptySaltEqualsHashLenZeroBytes) {
  const SecretBytes ikm = SecretBytes::Copy(absl::string_view("ikm"));
  absl::StatusOr<SecretBytes> empty = HkdfSha256(ikm, "", "info", 32);
  absl::StatusOr<SecretBytes> zeros =
      HkdfSha256(ikm, std::string(32, '\0'), "info", 32);
  ASSERT_TRUE(empty.ok() && zeros.ok());
  EXPECT_EQ(*empty, *zeros);
}

TEST(HkdfSha256Test, OutputIsPrefixConsistentAcrossLengths) {
  const SecretBytes ikm = SecretBytes::Copy(absl::string_view("ikm"));
  absl::StatusOr<SecretBytes> short_okm = HkdfSha256(ikm, "salt", "info", 10);
  absl::StatusOr<SecretBytes> long_okm = HkdfSha256(ikm, "salt", "info", 8160);
  ASSERT_TRUE(short_okm.ok() && long_okm.ok());
  EXPECT_EQ(long_okm->size(), 8160u);
  EXPECT_EQ(long_okm->view().substr(0, 10), short_okm->view());
}

// HMAC-SHA256(key, data) through OpenSSL's EVP_MAC, independent of the
// EVP_KDF path under test.
std::string HmacSha256(const std::string& key, const std::string& data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  unsigned char out[32];
  size_t len = 0;
  // A zero-length HMAC key still needs a non-null pointer.
  const unsigned char dummy = 0;
  bool ok =
      EVP_MAC_init(ctx,
                   key.empty()
                       ? &dummy
                       : reinterpret_cast<const unsigned char*>(key.data()),
                   key.size(), params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1 &&
      EVP_MAC_final(ctx, out, &len, sizeof(out)) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  EXPECT_TRUE(ok);
  return std::string(reinterpret_cast<char*>(out), len);
}

// RFC 5869 allows an empty IKM. With L = HashLen the definition reduces to
//   PRK = HMAC(salt, IKM),  OKM = T(1) = HMAC(PRK, info || 0x01).
TEST(HkdfSha256Test, EmptyInputKeyMaterialFollowsTheRfcDefinition) {
  absl::StatusOr<SecretBytes> okm =
      HkdfSha256(SecretBytes(), "salt", "info", 32);
  ASSERT_TRUE(okm.ok()) << okm.status();
  const std::string prk = HmacSha256("salt", "");
  EXPECT_EQ(ToHex(okm->view()),
            ToHex(HmacSha256(prk, std::string("info") + '\x01')));
}

TEST(HkdfSha256Test, LengthOutsideRfcRangeIsInvalidArgument) {
  const SecretBytes ikm = SecretBytes::Copy(absl::string_view("ikm"));
  absl::StatusOr<SecretBytes> zero = HkdfSha256(ikm, "", "", 0);
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<SecretBytes> too_long = HkdfSha256(ikm, "", "", 8161);
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("8160"), absl::string_view::npos);
}

}  // namespace
}  // namespace fedge::crypto
