#include "common/crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/crypto/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

using ::testing::HasSubstr;

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& bytes) {
  return ToHex(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}

absl::Span<const uint8_t> AsSpan(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

// RFC 8032 section 7.1, Ed25519 test vectors: SECRET KEY (the seed),
// PUBLIC KEY, MESSAGE and SIGNATURE.
struct Ed25519Vector {
  const char* name;
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

const Ed25519Vector kVectors[] = {
    {"Test1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"Test2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"Test3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    // TEST SHA(abc): the message is SHA-512("abc").
    {"TestShaAbc",
     "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

class Ed25519VectorTest : public ::testing::TestWithParam<Ed25519Vector> {};

TEST_P(Ed25519VectorTest, PublicKeyFromSecretKey) {
  const Ed25519Vector& v = GetParam();
  absl::StatusOr<Ed25519PublicKey> pub =
      Ed25519PublicFromPrivate(SecretBytes::Copy(Unhex(v.secret)));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(Hex(*pub), v.public_key);
}

TEST_P(Ed25519VectorTest, SignatureEqualsVector) {
  const Ed25519Vector& v = GetParam();
  absl::StatusOr<Ed25519Signature> sig =
      Ed25519Sign(SecretBytes::Copy(Unhex(v.secret)), Unhex(v.message));
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(Hex(*sig), v.signature);
}

TEST_P(Ed25519VectorTest, VectorSignatureVerifies) {
  const Ed25519Vector& v = GetParam();
  const std::string pub = Unhex(v.public_key);
  const std::string sig = Unhex(v.signature);
  EXPECT_TRUE(Ed25519Verify(AsSpan(pub), Unhex(v.message), AsSpan(sig)).ok());
}

TEST_P(Ed25519VectorTest, ModifiedMessageOrSignatureFails) {
  const Ed25519Vector& v = GetParam();
  const std::string pub = Unhex(v.public_key);
  const std::string sig = Unhex(v.signature);
  std::string message = Unhex(v.message);
  std::string other_message = message.empty() ? std::string("x") : message;
  if (!message.empty()) other_message[0] ^= 0x01;
  absl::Status status = Ed25519Verify(AsSpan(pub), other_message, AsSpan(sig));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("does not verify"));

  for (size_t index : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
    std::string bad_sig = sig;
    bad_sig[index] ^= 0x01;
    EXPECT_EQ(Ed25519Verify(AsSpan(pub), message, AsSpan(bad_sig)).code(),
              absl::StatusCode::kPermissionDenied)
        << "signature byte " << index;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8032Section71, Ed25519VectorTest, ::testing::ValuesIn(kVectors),
    [](const ::testing::TestParamInfo<Ed25519Vector>& info) {
      return std::string(info.param.name);
    });

TEST(Ed25519Test, DefaultConstructedEmptyMessageSignsAsRfc8032Test1) {
  // absl::string_view() has a null data pointer; it is still the empty
  // message of TEST 1.
  absl::StatusOr<Ed25519Signature> sig = Ed25519Sign(
      SecretBytes::Copy(Unhex(kVectors[0].secret)), absl::string_view());
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(Hex(*sig), kVectors[0].signature);
  const std::string pub = Unhex(kVectors[0].public_key);
  EXPECT_TRUE(Ed25519Verify(AsSpan(pub), absl::string_view(), *sig).ok());
}

TEST(Ed25519Test, WrongKeyFailsVerification) {
  const std::string other_pub = Unhex(kVectors[1].public_key);
  const std::string sig = Unhex(kVectors[0].signature);
  EXPECT_EQ(Ed25519Verify(AsSpan(other_pub), "", AsSpan(sig)).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(Ed25519Test, WrongSizesAreRejected) {
  const std::string pub = Unhex(kVectors[0].public_key);
  const std::string sig = Unhex(kVectors[0].signature);
  EXPECT_EQ(Ed25519Verify(AsSpan(pub.substr(0, 31)), "", AsSpan(sig)).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Ed25519Verify(AsSpan(pub), "", AsSpan(sig.substr(0, 63))).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Ed25519Sign(SecretBytes(64), "m").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ed25519PublicFromPrivate(SecretBytes(31)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, GeneratedKeyPairSignsAndVerifies) {
  absl::StatusOr<Ed25519KeyPair> pair = GenerateEd25519KeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->private_key.size(), 32u);
  absl::StatusOr<Ed25519PublicKey> pub =
      Ed25519PublicFromPrivate(pair->private_key);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, pair->public_key);
  absl::StatusOr<Ed25519Signature> sig =
      Ed25519Sign(pair->private_key, "checkpoint 42");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(Ed25519Verify(pair->public_key, "checkpoint 42", *sig).ok());
  EXPECT_FALSE(Ed25519Verify(pair->public_key, "checkpoint 43", *sig).ok());
}

// PEM text written with OpenSSL's EVP/PEM API the way `fedge pki init`
// writes audit.key (PKCS#8) and audit.pub (SubjectPublicKeyInfo).
struct PemPair {
  std::string private_pem;
  std::string public_pem;
  std::string raw_private;
  std::string raw_public;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

PemPair WritePemPair(const char* algorithm) {
  PemPair out;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_Q_keygen(nullptr, nullptr, algorithm), &EVP_PKEY_free);
  EXPECT_NE(key, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free_all)> priv(BIO_new(BIO_s_mem()),
                                                     &BIO_free_all);
  std::unique_ptr<BIO, decltype(&BIO_free_all)> pub(BIO_new(BIO_s_mem()),
                                                    &BIO_free_all);
  EXPECT_EQ(PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0,
                                     nullptr, nullptr),
            1);
  EXPECT_EQ(PEM_write_bio_PUBKEY(pub.get(), key.get()), 1);
  out.private_pem = BioText(priv.get());
  out.public_pem = BioText(pub.get());
  if (std::string(algorithm) == "ED25519") {
    uint8_t raw[32];
    size_t len = sizeof(raw);
    EXPECT_EQ(EVP_PKEY_get_raw_private_key(key.get(), raw, &len), 1);
    out.raw_private.assign(reinterpret_cast<char*>(raw), len);
    len = sizeof(raw);
    EXPECT_EQ(EVP_PKEY_get_raw_public_key(key.get(), raw, &len), 1);
    out.raw_public.assign(reinterpret_cast<char*>(raw), len);
  }
  return out;
}

TEST(Ed25519PemTest, Pkcs8AndSpkiPemRoundTrip) {
  const PemPair pem = WritePemPair("ED25519");
  ASSERT_THAT(pem.private_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  ASSERT_THAT(pem.public_pem, HasSubstr("-----BEGIN PUBLIC KEY-----"));

  absl::StatusOr<Ed25519KeyPair> pair = Ed25519FromPrivatePem(pem.private_pem);
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->private_key.view(), pem.raw_private);
  EXPECT_EQ(std::string(pair->public_key.begin(), pair->public_key.end()),
            pem.raw_public);

  absl::StatusOr<Ed25519PublicKey> pub = Ed25519PublicFromPem(pem.public_pem);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(*pub, pair->public_key);

  absl::StatusOr<Ed25519Signature> sig =
      Ed25519Sign(pair->private_key, "audit checkpoint");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(Ed25519Verify(*pub, "audit checkpoint", *sig).ok());
}

TEST(Ed25519PemTest, Rfc8032Test1KeyFromPkcs8Pem) {
  // PKCS#8 encoding (RFC 8410) of RFC 8032 TEST 1's secret key.
  const std::string der =
      Unhex("302e020100300506032b657004220420") + Unhex(kVectors[0].secret);
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()),
                                                    &BIO_free_all);
  const int written =
      PEM_write_bio(bio.get(), "PRIVATE KEY", "",
                    reinterpret_cast<const unsigned char*>(der.data()),
                    static_cast<long>(der.size()));
  ASSERT_GT(written, 0);
  absl::StatusOr<Ed25519KeyPair> pair =
      Ed25519FromPrivatePem(BioText(bio.get()));
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(ToHex(pair->private_key.view()), kVectors[0].secret);
  EXPECT_EQ(Hex(pair->public_key), kVectors[0].public_key);
}

TEST(Ed25519PemTest, GarbageIsInvalidArgument) {
  absl::StatusOr<Ed25519KeyPair> pair = Ed25519FromPrivatePem("not a key");
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pair.status().message(), HasSubstr("PEM private key"));
  absl::StatusOr<Ed25519PublicKey> pub = Ed25519PublicFromPem("");
  EXPECT_EQ(pub.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pub.status().message(), HasSubstr("PEM public key"));
}

TEST(Ed25519PemTest, OtherKeyTypeIsInvalidArgumentNamingIt) {
  const PemPair pem = WritePemPair("X25519");
  absl::StatusOr<Ed25519KeyPair> pair = Ed25519FromPrivatePem(pem.private_pem);
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pair.status().message(), HasSubstr("X25519"));
  EXPECT_THAT(pair.status().message(), HasSubstr("expected Ed25519"));
  absl::StatusOr<Ed25519PublicKey> pub = Ed25519PublicFromPem(pem.public_pem);
  EXPECT_EQ(pub.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(pub.status().message(), HasSubstr("X25519"));
}

}  // namespace
}  // namespace fedge::crypto
