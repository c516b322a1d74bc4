#include "common/crypto/aes_gcm.h"

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

// Vectors from McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)",
// Appendix B (the test cases NIST publishes with SP 800-38D).
struct GcmVector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

constexpr char kKey128[] = "feffe9928665731c6d6a8f9467308308";
constexpr char kKey256[] =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr char kIv[] = "cafebabefacedbaddecaf888";
constexpr char kPlaintext64[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr char kPlaintext60[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr char kAad[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

const GcmVector kVectors[] = {
    {"TestCase3_Aes128", kKey128, kIv, kPlaintext64, "",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"TestCase4_Aes128WithAad", kKey128, kIv, kPlaintext60, kAad,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"TestCase13_Aes256Empty",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TestCase14_Aes256OneZeroBlock",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TestCase15_Aes256", kKey256, kIv, kPlaintext64, "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TestCase16_Aes256WithAad", kKey256, kIv, kPlaintext60, kAad,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

class GcmVectorTest : public ::testing::TestWithParam<GcmVector> {};

TEST_P(GcmVectorTest, EncryptGivesPublishedCiphertextAndTag) {
  const GcmVector& v = GetParam();
  absl::StatusOr<std::string> sealed =
      AesGcmEncrypt(SecretBytes::Copy(Unhex(v.key)), Unhex(v.iv),
                    Unhex(v.plaintext), Unhex(v.aad));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(ToHex(*sealed), std::string(v.ciphertext) + v.tag);
}

TEST_P(GcmVectorTest, DecryptRecoversPublishedPlaintext) {
  const GcmVector& v = GetParam();
  absl::StatusOr<SecretBytes> opened =
      AesGcmDecrypt(SecretBytes::Copy(Unhex(v.key)), Unhex(v.iv),
                    Unhex(std::string(v.ciphertext) + v.tag), Unhex(v.aad));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(ToHex(opened->view()), v.plaintext);
}

INSTANTIATE_TEST_SUITE_P(McGrewViegaAppendixB, GcmVectorTest,
                         ::testing::ValuesIn(kVectors),
                         [](const ::testing::TestParamInfo<GcmVector>& info) {
                           return std::string(info.param.name);
                         });

// Test case 16 (AES-256, 60-byte plaintext, 20-byte AAD) as the base for
// the tampering tests.
class GcmTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = SecretBytes::Copy(Unhex(kKey256));
    sealed_ = Unhex(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        "76fc6ece0f4e1768cddf8853bb2d551b");
    ASSERT_TRUE(AesGcmDecrypt(key_, Unhex(kIv), sealed_, Unhex(kAad)).ok());
  }

  void ExpectDataLoss(const absl::StatusOr<SecretBytes>& result) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(result.status().message(), HasSubstr("authentication failed"));
  }

  SecretBytes key_;
  std::string sealed_;
};

TEST_F(GcmTamperTest, FlippedCiphertextByteIsDataLoss) {
  std::string tampered = sealed_;
  tampered[5] ^= 0x01;
  ExpectDataLoss(AesGcmDecrypt(key_, Unhex(kIv), tampered, Unhex(kAad)));
}

TEST_F(GcmTamperTest, FlippedTagByteIsDataLoss) {
  std::string tampered = sealed_;
  tampered[tampered.size() - 1] ^= 0x80;
  ExpectDataLoss(AesGcmDecrypt(key_, Unhex(kIv), tampered, Unhex(kAad)));
}

TEST_F(GcmTamperTest, WrongAadIsDataLoss) {
  std::string aad = Unhex(kAad);
  aad[0] ^= 0x01;
  ExpectDataLoss(AesGcmDecrypt(key_, Unhex(kIv), sealed_, aad));
  ExpectDataLoss(AesGcmDecrypt(key_, Unhex(kIv), sealed_, ""));
}

TEST_F(GcmTamperTest, WrongKeyIsDataLoss) {
  SecretBytes wrong = key_;
  wrong.mutable_data()[31] ^= 0x01;
  ExpectDataLoss(AesGcmDecrypt(wrong, Unhex(kIv), sealed_, Unhex(kAad)));
}

TEST_F(GcmTamperTest, WrongNonceIsDataLoss) {
  std::string nonce = Unhex(kIv);
  nonce[11] ^= 0x01;
  ExpectDataLoss(AesGcmDecrypt(key_, nonce, sealed_, Unhex(kAad)));
}

TEST_F(GcmTamperTest, TruncatedCiphertextIsDataLoss) {
  ExpectDataLoss(AesGcmDecrypt(
      key_, Unhex(kIv), absl::string_view(sealed_).substr(1), Unhex(kAad)));
}

TEST(AesGcmTest, WrongSizesAreInvalidArgument) {
  const SecretBytes key = SecretBytes::Random(32);
  const std::string nonce = RandomGcmNonce();
  EXPECT_EQ(AesGcmEncrypt(SecretBytes(24), nonce, "x", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmEncrypt(key, nonce.substr(0, 11), "x", "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmDecrypt(SecretBytes(15), nonce, std::string(16, 'x'), "")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      AesGcmDecrypt(key, nonce + "x", std::string(16, 'x'), "").status().code(),
      absl::StatusCode::kInvalidArgument);
  absl::StatusOr<SecretBytes> too_short =
      AesGcmDecrypt(key, nonce, std::string(15, 'x'), "");
  EXPECT_EQ(too_short.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_short.status().message(), HasSubstr("16-byte tag"));
}

TEST(AesGcmTest, RoundTripWithRandomKeyNonceAndLargePlaintext) {
  const SecretBytes key = SecretBytes::Random(32);
  const std::string nonce = RandomGcmNonce();
  std::string plaintext(1 << 20, '\0');
  for (size_t i = 0; i < plaintext.size(); ++i) {
    plaintext[i] = static_cast<char>(i * 131 + 7);
  }
  absl::StatusOr<std::string> sealed =
      AesGcmEncrypt(key, nonce, plaintext, "header");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->size(), plaintext.size() + kAesGcmTagBytes);
  absl::StatusOr<SecretBytes> opened =
      AesGcmDecrypt(key, nonce, *sealed, "header");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->view(), plaintext);
}

TEST(AesGcmTest, NullStringViewsActAsEmptyPlaintextAndAad) {
  // Test case 13's key and IV with absl::string_view() (null data) inputs.
  const SecretBytes key = SecretBytes(32);
  const std::string iv(12, '\0');
  absl::StatusOr<std::string> sealed =
      AesGcmEncrypt(key, iv, absl::string_view(), absl::string_view());
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(ToHex(*sealed), "530f8afbc74536b9a963b4f1c4cb738b");
  absl::StatusOr<SecretBytes> opened =
      AesGcmDecrypt(key, iv, *sealed, absl::string_view());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(opened->empty());
}

TEST(AesGcmTest, RandomNoncesAreTwelveBytesAndDiffer) {
  const std::string a = RandomGcmNonce();
  const std::string b = RandomGcmNonce();
  EXPECT_EQ(a.size(), kAesGcmNonceBytes);
  EXPECT_NE(a, b);  // equal with probability 2^-96
}

}  // namespace
}  // namespace fedge::crypto
