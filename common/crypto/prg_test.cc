#include "common/crypto/prg.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/crypto/prg_internal.h"
#include "common/crypto/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

using ::testing::HasSubstr;

std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

absl::Span<const uint8_t> AsSpan(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

std::string Generate(AesCtrPrg& prg, size_t size) {
  std::string out(size, '\0');
  prg.Generate(reinterpret_cast<uint8_t*>(out.data()), size);
  return out;
}

// NIST SP 800-38A Appendix F.5.5, CTR-AES256.Encrypt: the keystream the
// PRG's code path makes from the vector's key and initial counter block,
// XORed with the four plaintext blocks, gives the four ciphertext blocks.
TEST(AesCtrPrgTest, Sp80038aF55CtrAes256Encrypt) {
  const SecretBytes key = SecretBytes::Copy(Unhex(
      "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"));
  const std::string counter = Unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const std::string plaintext = Unhex(
      "6bc1bee22e409f96e93d7e117393172a"
      "ae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52ef"
      "f69f2445df4f9b17ad2b417be66c3710");
  const std::string expected_ciphertext =
      "601ec313775789a5b7a7f504bbf3d228"
      "f443e3ca4d62b59aca84e990cacaf5c5"
      "2b0930daa23de94ce87017ba2d84988d"
      "dfc9c58db67aada613c2dd08457941a6";

  absl::StatusOr<internal::CipherCtxPtr> ctx =
      internal::NewAes256CtrContext(key, AsSpan(counter));
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  std::string keystream(plaintext.size(), '\0');
  // Two calls of uneven size, as Generate may be called.
  internal::AesCtrKeystream(ctx->get(),
                            reinterpret_cast<uint8_t*>(keystream.data()), 21);
  internal::AesCtrKeystream(ctx->get(),
                            reinterpret_cast<uint8_t*>(keystream.data()) + 21,
                            keystream.size() - 21);
  std::string ciphertext = plaintext;
  for (size_t i = 0; i < ciphertext.size(); ++i) ciphertext[i] ^= keystream[i];
  EXPECT_EQ(ToHex(ciphertext), expected_ciphertext);
}

// AES-256-ECB encryption of the 128-bit big-endian counter blocks
// first, first+1, ..., computed independently of the PRG.
std::string EcbOfCounters(const SecretBytes& key, uint64_t first,
                          size_t blocks) {
  std::string counters(blocks * 16, '\0');
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t value = first + b;
    for (int i = 0; i < 8; ++i) {
      counters[b * 16 + 15 - i] = static_cast<char>(value >> (8 * i));
    }
  }
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(
      EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  EVP_CIPHER* ecb = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  std::string out(counters.size(), '\0');
  int len = 0;
  bool ok =
      ecb != nullptr &&
      EVP_EncryptInit_ex2(ctx.get(), ecb, key.data(), nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(out.data()), &len,
                        reinterpret_cast<const uint8_t*>(counters.data()),
                        static_cast<int>(counters.size())) == 1 &&
      static_cast<size_t>(len) == out.size();
  EVP_CIPHER_free(ecb);
  EXPECT_TRUE(ok);
  return out;
}

TEST(AesCtrPrgTest, OutputIsAesEcbOfCounterBlocksFromZero) {
  const SecretBytes seed = SecretBytes::Copy(Unhex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
  absl::StatusOr<std::unique_ptr<AesCtrPrg>> prg = AesCtrPrg::Create(seed);
  ASSERT_TRUE(prg.ok()) << prg.status();
  // 300 000 blocks (4.8 MB): several passes through the PRG's internal
  // 1 MiB zero buffer, ending in the middle of one.
  constexpr size_t kBlocks = 300000;
  EXPECT_EQ(Generate(**prg, kBlocks * 16), EcbOfCounters(seed, 0, kBlocks));
}

TEST(AesCtrPrgTest, SuccessiveCallsConcatenateToOneCall) {
  const SecretBytes seed = SecretBytes::Random(kPrgSeedBytes);
  absl::StatusOr<std::unique_ptr<AesCtrPrg>> whole = AesCtrPrg::Create(seed);
  absl::StatusOr<std::unique_ptr<AesCtrPrg>> pieces = AesCtrPrg::Create(seed);
  ASSERT_TRUE(whole.ok() && pieces.ok());
  // Sizes that straddle block boundaries and the internal buffer size.
  const std::vector<size_t> sizes = {
      0,       1, 15, 16, 17, 3, 65537, (1 << 20) - 1, 1 << 20, (1 << 20) + 1,
      2500001, 7};
  std::string concatenated;
  size_t total = 0;
  for (size_t size : sizes) {
    concatenated += Generate(**pieces, size);
    total += size;
  }
  EXPECT_EQ(concatenated, Generate(**whole, total));
}

TEST(AesCtrPrgTest, SameSeedSameStreamDifferentSeedDifferentStream) {
  const SecretBytes seed = SecretBytes::Random(kPrgSeedBytes);
  SecretBytes other = seed;
  other.mutable_data()[0] ^= 0x01;
  auto a = AesCtrPrg::Create(seed);
  auto b = AesCtrPrg::Create(seed);
  auto c = AesCtrPrg::Create(other);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const std::string stream_a = Generate(**a, 4096);
  EXPECT_EQ(stream_a, Generate(**b, 4096));
  EXPECT_NE(stream_a, Generate(**c, 4096));
}

TEST(AesCtrPrgTest, SeedOfWrongSizeIsInvalidArgument) {
  for (size_t size : {0, 16, 24, 31, 33, 64}) {
    absl::StatusOr<std::unique_ptr<AesCtrPrg>> prg =
        AesCtrPrg::Create(SecretBytes(size));
    ASSERT_FALSE(prg.ok()) << size;
    EXPECT_EQ(prg.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(prg.status().message(), HasSubstr("32 bytes"));
  }
}

TEST(AesCtrPrgTest, InternalContextRejectsWrongCounterSize) {
  const std::string counter(15, '\0');
  EXPECT_EQ(internal::NewAes256CtrContext(SecretBytes(32), AsSpan(counter))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::crypto
