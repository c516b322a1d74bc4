#include "common/crypto/shamir.h"

#include <openssl/bn.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/crypto/sha256.h"
#include "common/crypto/shamir_internal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

using ::testing::HasSubstr;

std::vector<uint32_t> Range(uint32_t first, uint32_t last) {
  std::vector<uint32_t> out;
  for (uint32_t x = first; x <= last; ++x) out.push_back(x);
  return out;
}

// A 66-byte big-endian field element with the small value `v`.
std::string Element(uint64_t v) {
  std::string out(kShamirShareBytes, '\0');
  for (int i = 0; i < 8; ++i) {
    out[kShamirShareBytes - 1 - i] = static_cast<char>(v >> (8 * i));
  }
  return out;
}

SecretBytes Byte(uint8_t b) {
  return SecretBytes::Copy(absl::MakeConstSpan(&b, 1));
}

// p - k for the field prime p = 2^521 - 1, as 66 big-endian bytes: the top
// byte is 0x01 (bit 520), all other bits of p are ones.
std::string PrimeMinus(uint8_t k) {
  std::string out(kShamirShareBytes, '\xff');
  out[0] = '\x01';
  out[kShamirShareBytes - 1] = static_cast<char>(0xff - k);
  return out;
}

TEST(ShamirFieldTest, FieldPrimeTwoTo521MinusOneIsPrime) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> p(BN_new(), &BN_free);
  std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)> ctx(BN_CTX_new(),
                                                      &BN_CTX_free);
  ASSERT_EQ(BN_set_bit(p.get(), 521), 1);
  ASSERT_EQ(BN_sub_word(p.get(), 1), 1);
  EXPECT_EQ(BN_num_bits(p.get()), 521);
  EXPECT_EQ(BN_check_prime(p.get(), ctx.get(), nullptr), 1);
  // And the neighbour 2^521 + 1 is not (divisible by 3).
  ASSERT_EQ(BN_add_word(p.get(), 2), 1);
  EXPECT_EQ(BN_check_prime(p.get(), ctx.get(), nullptr), 0);
}

// Hand-computed: secret 0x2a = 42, threshold 3, coefficients 7 and 3, so
//   f(x) = 42 + 7x + 3x^2
//   f(1) = 52, f(2) = 68, f(3) = 90, f(4) = 118, f(5) = 152.
class ShamirKnownAnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<SecretBytes> coefficients;
    coefficients.push_back(Byte(7));
    coefficients.push_back(Byte(3));
    auto shares = internal::ShamirSplitWithCoefficients(
        Byte(0x2a), 3, Range(1, 5), coefficients);
    ASSERT_TRUE(shares.ok()) << shares.status();
    shares_ = std::move(*shares);
  }
  std::vector<ShamirShare> shares_;
};

TEST_F(ShamirKnownAnswerTest, SharesAreThePolynomialAtEachX) {
  ASSERT_EQ(shares_.size(), 5u);
  const uint64_t expected[] = {52, 68, 90, 118, 152};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(shares_[i].x, i + 1);
    EXPECT_EQ(shares_[i].value.size(), kShamirShareBytes);
    EXPECT_EQ(ToHex(shares_[i].value.view()), ToHex(Element(expected[i])))
        << "x = " << shares_[i].x;
  }
}

TEST_F(ShamirKnownAnswerTest, AnyThreeOfFiveReconstructTheSecret) {
  int subsets = 0;
  for (size_t a = 0; a < 5; ++a) {
    for (size_t b = a + 1; b < 5; ++b) {
      for (size_t c = b + 1; c < 5; ++c) {
        // Order must not matter either.
        std::vector<ShamirShare> subset = {shares_[c], shares_[a], shares_[b]};
        absl::StatusOr<SecretBytes> secret = ShamirReconstruct(subset, 3, 1);
        ASSERT_TRUE(secret.ok()) << secret.status();
        EXPECT_EQ(ToHex(secret->view()), "2a");
        ++subsets;
      }
    }
  }
  EXPECT_EQ(subsets, 10);
}

TEST_F(ShamirKnownAnswerTest, TwoSharesOfThreeAreNotEnough) {
  std::vector<ShamirShare> two = {shares_[0], shares_[1]};
  absl::StatusOr<SecretBytes> secret = ShamirReconstruct(two, 3, 1);
  EXPECT_EQ(secret.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(secret.status().message(), HasSubstr("at least 3 shares, got 2"));
}

// Hand-computed with wrap-around modulo p = 2^521 - 1: coefficients
// p - 1 (= -1) and p - 1 (= -1), so f(x) = 42 - x - x^2 (mod p):
//   f(1) = 40, f(5) = 12, f(6) = 0, f(7) = -14 = p - 14.
TEST(ShamirWrapAroundTest, SharesAreReducedModuloTheMersennePrime) {
  std::vector<SecretBytes> coefficients;
  coefficients.push_back(SecretBytes::Copy(PrimeMinus(1)));
  coefficients.push_back(SecretBytes::Copy(PrimeMinus(1)));
  std::vector<uint32_t> xs = {1, 5, 6, 7};
  auto shares =
      internal::ShamirSplitWithCoefficients(Byte(42), 3, xs, coefficients);
  ASSERT_TRUE(shares.ok()) << shares.status();
  EXPECT_EQ(ToHex((*shares)[0].value.view()), ToHex(Element(40)));
  EXPECT_EQ(ToHex((*shares)[1].value.view()), ToHex(Element(12)));
  EXPECT_EQ(ToHex((*shares)[2].value.view()), ToHex(Element(0)));
  EXPECT_EQ(ToHex((*shares)[3].value.view()), ToHex(PrimeMinus(14)));
  std::vector<ShamirShare> last_three = {(*shares)[1], (*shares)[2],
                                         (*shares)[3]};
  absl::StatusOr<SecretBytes> secret = ShamirReconstruct(last_three, 3, 1);
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(ToHex(secret->view()), "2a");
}

TEST(ShamirSeamTest, CoefficientCountAndRangeAreChecked) {
  std::vector<SecretBytes> one;
  one.push_back(Byte(1));
  EXPECT_EQ(internal::ShamirSplitWithCoefficients(Byte(1), 3, Range(1, 3), one)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<SecretBytes> too_big;
  too_big.push_back(SecretBytes::Copy(PrimeMinus(0)));  // p itself
  EXPECT_EQ(
      internal::ShamirSplitWithCoefficients(Byte(1), 2, Range(1, 3), too_big)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

// Property: random 32-byte secrets, t-of-n for n up to 50, several subsets
// of each size at least t (first t used), all give the secret back.
TEST(ShamirPropertyTest, RandomSecretsRoundTripForManyThresholdsAndSubsets) {
  std::mt19937 rng(20240611);
  const size_t kNs[] = {1, 2, 3, 5, 8, 13, 21, 34, 50};
  int reconstructions = 0;
  for (size_t n : kNs) {
    std::vector<size_t> thresholds = {1, (n + 1) / 2, n};
    if (n > 2) thresholds.push_back(n - 1);
    if (n > 3) thresholds.push_back(2 * n / 3 + 1);
    for (size_t t : thresholds) {
      const SecretBytes secret = SecretBytes::Random(32);
      // Non-consecutive evaluation points, as client ids would be.
      std::vector<uint32_t> xs;
      for (size_t i = 0; i < n; ++i) {
        xs.push_back(static_cast<uint32_t>(3 * i + 1 + (i % 2) * 1000));
      }
      absl::StatusOr<std::vector<ShamirShare>> shares =
          ShamirSplit(secret, t, xs);
      ASSERT_TRUE(shares.ok()) << shares.status();
      ASSERT_EQ(shares->size(), n);
      for (int trial = 0; trial < 4; ++trial) {
        std::vector<ShamirShare> subset = *shares;
        std::shuffle(subset.begin(), subset.end(), rng);
        size_t keep = t + rng() % (n - t + 1);
        subset.resize(keep);
        absl::StatusOr<SecretBytes> back = ShamirReconstruct(subset, t, 32);
        ASSERT_TRUE(back.ok()) << back.status() << " t=" << t << " n=" << n;
        EXPECT_EQ(*back, secret) << "t=" << t << " n=" << n;
        ++reconstructions;
      }
    }
  }
  EXPECT_GT(reconstructions, 150);
}

TEST(ShamirPropertyTest, FourSharesOfThresholdFiveAreRefused) {
  // With t - 1 shares reconstruction refuses rather than guessing.
  const SecretBytes secret = SecretBytes::Random(32);
  auto shares = ShamirSplit(secret, 5, Range(1, 10));
  ASSERT_TRUE(shares.ok());
  std::vector<ShamirShare> four(shares->begin(), shares->begin() + 4);
  EXPECT_EQ(ShamirReconstruct(four, 5, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ShamirTest, SharesOfTheSameSecretDifferBetweenSplits) {
  const SecretBytes secret = SecretBytes::Random(32);
  auto a = ShamirSplit(secret, 2, Range(1, 2));
  auto b = ShamirSplit(secret, 2, Range(1, 2));
  ASSERT_TRUE(a.ok() && b.ok());
  // Fresh random coefficients each time (equal with probability ~2^-521).
  EXPECT_NE((*a)[0].value, (*b)[0].value);
}

TEST(ShamirTest, MaximalSecretOfSixtyFourFfBytesRoundTrips) {
  const SecretBytes secret = SecretBytes::Copy(std::string(64, '\xff'));
  auto shares = ShamirSplit(secret, 4, Range(1, 7));
  ASSERT_TRUE(shares.ok()) << shares.status();
  std::vector<ShamirShare> subset = {(*shares)[6], (*shares)[2], (*shares)[4],
                                     (*shares)[0]};
  absl::StatusOr<SecretBytes> back = ShamirReconstruct(subset, 4, 64);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, secret);
}

TEST(ShamirTest, LeadingZeroBytesOfTheSecretArePreserved) {
  const SecretBytes secret =
      SecretBytes::Copy(absl::HexStringToBytes("0000000102"));
  auto shares = ShamirSplit(secret, 2, Range(1, 3));
  ASSERT_TRUE(shares.ok());
  absl::StatusOr<SecretBytes> back = ShamirReconstruct(*shares, 2, 5);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToHex(back->view()), "0000000102");
}

TEST(ShamirTest, ThresholdOneSharesAreTheSecretItself) {
  const SecretBytes secret = SecretBytes::Copy(absl::string_view("k"));
  auto shares = ShamirSplit(secret, 1, Range(1, 3));
  ASSERT_TRUE(shares.ok());
  for (const ShamirShare& share : *shares) {
    EXPECT_EQ(ToHex(share.value.view()), ToHex(Element('k')));
  }
}

TEST(ShamirTest, DuplicatedXIsInvalidArgument) {
  const SecretBytes secret = SecretBytes::Random(32);
  absl::StatusOr<std::vector<ShamirShare>> split =
      ShamirSplit(secret, 2, {1, 2, 2});
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(split.status().message(), HasSubstr("x = 2 appears twice"));

  auto shares = ShamirSplit(secret, 2, Range(1, 3));
  ASSERT_TRUE(shares.ok());
  std::vector<ShamirShare> duplicated = {(*shares)[0], (*shares)[0]};
  absl::StatusOr<SecretBytes> back = ShamirReconstruct(duplicated, 2, 32);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("appears twice"));
}

TEST(ShamirTest, BadSplitArgumentsAreInvalidArgument) {
  const SecretBytes secret = SecretBytes::Random(32);
  EXPECT_EQ(ShamirSplit(SecretBytes(), 1, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(SecretBytes(65), 1, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(secret, 0, {1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShamirSplit(secret, 3, {1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<ShamirShare>> zero_x =
      ShamirSplit(secret, 1, {0, 1});
  EXPECT_EQ(zero_x.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zero_x.status().message(), HasSubstr("x = 0"));
}

TEST(ShamirTest, MalformedSharesAreInvalidArgument) {
  const SecretBytes secret = SecretBytes::Random(32);
  auto shares = ShamirSplit(secret, 2, Range(1, 2));
  ASSERT_TRUE(shares.ok());
  std::vector<ShamirShare> wrong_size = *shares;
  wrong_size[1].value = SecretBytes(65);
  EXPECT_EQ(ShamirReconstruct(wrong_size, 2, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<ShamirShare> not_element = *shares;
  not_element[0].value = SecretBytes::Copy(PrimeMinus(0));  // = p
  absl::StatusOr<SecretBytes> back = ShamirReconstruct(not_element, 2, 32);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("not a field element"));
  EXPECT_EQ(ShamirReconstruct(*shares, 0, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShamirReconstruct(*shares, 2, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShamirReconstruct(*shares, 2, 65).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Mixing shares of two different secrets interpolates some other
// polynomial. Its value at 0 is a field element unrelated to either secret:
// for a 32-byte secret it almost never fits in 32 bytes (probability
// 2^256 / 2^521), so reconstruction reports InvalidArgument; when it does
// fit, the result is simply a wrong secret. Both cases, made deterministic
// through fixed coefficients:
TEST(ShamirMixedSharesTest, MixedSharesThatOverflowAreInvalidArgument) {
  // Hand-computed: A = 0x11...11 and B = 0x22...22 = 2A (32 bytes each),
  //   f_a(x) = A + 2^300 x,   f_b(x) = B - 5 x   (mod p).
  // Mixing (1, f_a(1)) = (1, A + 2^300) with (2, f_b(2)) = (2, B - 10): the
  // line through them has slope B - A - 10 - 2^300, so its value at 0 is
  //   A + 2^300 - (B - A - 10 - 2^300) = 2A - B + 10 + 2^301 = 2^301 + 10,
  // a 302-bit number: it does not fit in 32 bytes (InvalidArgument), and
  // read as a 64-byte secret it is a wrong value.
  std::string two_to_300(kShamirShareBytes, '\0');
  two_to_300[kShamirShareBytes - 1 - 300 / 8] =
      static_cast<char>(1 << (300 % 8));
  std::vector<SecretBytes> coefficients_a;
  coefficients_a.push_back(SecretBytes::Copy(two_to_300));
  std::vector<SecretBytes> coefficients_b;
  coefficients_b.push_back(SecretBytes::Copy(PrimeMinus(5)));
  auto a = internal::ShamirSplitWithCoefficients(
      SecretBytes::Copy(std::string(32, '\x11')), 2, Range(1, 2),
      coefficients_a);
  auto b = internal::ShamirSplitWithCoefficients(
      SecretBytes::Copy(std::string(32, '\x22')), 2, Range(1, 2),
      coefficients_b);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<ShamirShare> mixed = {(*a)[0], (*b)[1]};
  absl::StatusOr<SecretBytes> back = ShamirReconstruct(mixed, 2, 32);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("different secrets"));

  std::string expected(64, '\0');
  expected[64 - 1 - 301 / 8] = static_cast<char>(1 << (301 % 8));
  expected[63] = 10;
  absl::StatusOr<SecretBytes> wide = ShamirReconstruct(mixed, 2, 64);
  ASSERT_TRUE(wide.ok()) << wide.status();
  EXPECT_EQ(ToHex(wide->view()), ToHex(expected));
}

TEST(ShamirMixedSharesTest, MixedSharesThatFitGiveAWrongSecret) {
  // f_a(x) = 1 and f_b(x) = 2 (zero higher coefficients): the points (1, 1)
  // and (2, 2) lie on g(x) = x, so reconstruction yields g(0) = 0, a wrong
  // secret that neither party shared, without any error.
  std::vector<SecretBytes> zero;
  zero.push_back(Byte(0));
  auto a = internal::ShamirSplitWithCoefficients(Byte(1), 2, Range(1, 2), zero);
  auto b = internal::ShamirSplitWithCoefficients(Byte(2), 2, Range(1, 2), zero);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<ShamirShare> mixed = {(*a)[0], (*b)[1]};
  absl::StatusOr<SecretBytes> back = ShamirReconstruct(mixed, 2, 1);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToHex(back->view()), "00");
}

TEST(ShamirMixedSharesTest, RandomMixedSharesOfThirtyTwoByteSecretsFail) {
  auto a = ShamirSplit(SecretBytes::Random(32), 3, Range(1, 5));
  auto b = ShamirSplit(SecretBytes::Random(32), 3, Range(1, 5));
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<ShamirShare> mixed = {(*a)[0], (*a)[1], (*b)[2]};
  // Fails with probability 1 - 2^-265 (see above).
  EXPECT_EQ(ShamirReconstruct(mixed, 3, 32).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::crypto
