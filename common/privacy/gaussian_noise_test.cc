#include "common/privacy/gaussian_noise.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "common/crypto/prg.h"
#include "common/crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::privacy {
namespace {

using ::testing::HasSubstr;

// A fixed seed, so that every statistical check below sees the same draws
// and a pass or fail is reproducible; the thresholds are still set as if the
// draws were fresh (a correct generator fails each with probability < 1e-5,
// the KS test < 1e-3).
crypto::SecretBytes Seed(uint8_t first_byte) {
  crypto::SecretBytes seed(crypto::kPrgSeedBytes);
  for (size_t i = 0; i < seed.size(); ++i) {
    seed.mutable_data()[i] = static_cast<uint8_t>(first_byte + 7 * i);
  }
  return seed;
}

GaussianNoise MakeNoise(uint8_t first_byte) {
  absl::StatusOr<GaussianNoise> noise = GaussianNoise::Create(Seed(first_byte));
  EXPECT_TRUE(noise.ok()) << noise.status();
  return std::move(noise).value();
}

std::vector<double> Draw(GaussianNoise& noise, size_t n) {
  std::vector<double> out(n);
  for (double& x : out) x = noise.Next();
  return out;
}

// The standard normal CDF.
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

constexpr size_t kDraws = 1000000;

TEST(GaussianNoiseTest, SameSeedGivesSameSequence) {
  GaussianNoise a = MakeNoise(1);
  GaussianNoise b = MakeNoise(1);
  // 10,000 draws use 80,000 keystream bytes: many 4 KiB refills.
  EXPECT_EQ(Draw(a, 10000), Draw(b, 10000));
}

TEST(GaussianNoiseTest, DifferentSeedsGiveDifferentSequences) {
  GaussianNoise a = MakeNoise(1);
  GaussianNoise b = MakeNoise(2);
  const std::vector<double> xa = Draw(a, 1000);
  const std::vector<double> xb = Draw(b, 1000);
  size_t equal = 0;
  for (size_t i = 0; i < xa.size(); ++i) equal += xa[i] == xb[i];
  EXPECT_EQ(equal, 0u);
}

// The exact stream format the header promises: little-endian 64-bit words of
// the AES-256-CTR keystream, the top 53 bits as a uniform, Box-Muller with
// the cosine first and the sine second. Recomputed here from the PRG directly,
// over more than one 4 KiB block.
TEST(GaussianNoiseTest, SequenceIsBoxMullerOverThePrgKeystream) {
  constexpr size_t kPairs = 1500;  // 24,000 bytes
  absl::StatusOr<std::unique_ptr<crypto::AesCtrPrg>> prg =
      crypto::AesCtrPrg::Create(Seed(9));
  ASSERT_TRUE(prg.ok()) << prg.status();
  std::vector<uint8_t> stream(kPairs * 16);
  (*prg)->Generate(stream.data(), stream.size());

  GaussianNoise noise = MakeNoise(9);
  for (size_t i = 0; i < kPairs; ++i) {
    const uint64_t w1 = absl::little_endian::Load64(stream.data() + 16 * i);
    const uint64_t w2 = absl::little_endian::Load64(stream.data() + 16 * i + 8);
    // A zero 53-bit prefix would shift the stream; at 2^-53 per word it does
    // not occur in these 3,000 words.
    ASSERT_NE(w1 >> 11, 0u);
    ASSERT_NE(w2 >> 11, 0u);
    const double u1 = static_cast<double>(w1 >> 11) / 9007199254740992.0;
    const double u2 = static_cast<double>(w2 >> 11) / 9007199254740992.0;
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    ASSERT_EQ(noise.Next(), r * std::cos(theta)) << "pair " << i;
    ASSERT_EQ(noise.Next(), r * std::sin(theta)) << "pair " << i;
  }
}

TEST(GaussianNoiseTest, UniformUsesTopFiftyThreeBitsAndExcludesZero) {
  EXPECT_EQ(internal::UniformFromWord(0), 0.0);  // rejected by the caller
  // Only the low 11 bits set: still a zero prefix, still rejected.
  EXPECT_EQ(internal::UniformFromWord(0x7ff), 0.0);
  EXPECT_EQ(internal::UniformFromWord(uint64_t{1} << 11), std::ldexp(1.0, -53));
  EXPECT_EQ(internal::UniformFromWord(~uint64_t{0}),
            1.0 - std::ldexp(1.0, -53));
  EXPECT_EQ(internal::UniformFromWord(uint64_t{1} << 63), 0.5);
  EXPECT_LT(internal::UniformFromWord(~uint64_t{0}), 1.0);
}

// Sample moments of 1,000,000 draws against N(0, 1). Standard errors for n
// draws: mean 1/sqrt(n); variance sqrt(2/(n-1)) (the normal's fourth central
// moment is 3); fourth moment sqrt((105 - 9)/n) (E x^8 = 105). Each is allowed
// 5 standard errors.
TEST(GaussianNoiseTest, MomentsMatchStandardNormal) {
  GaussianNoise noise = MakeNoise(3);
  const std::vector<double> x = Draw(noise, kDraws);
  const double n = static_cast<double>(x.size());

  double sum = 0.0;
  for (double v : x) sum += v;
  const double mean = sum / n;
  double ss = 0.0;
  double fourth = 0.0;
  for (double v : x) {
    ss += (v - mean) * (v - mean);
    fourth += v * v * v * v;
  }
  const double variance = ss / (n - 1.0);
  fourth /= n;

  EXPECT_LT(std::abs(mean), 5.0 / std::sqrt(n)) << "mean " << mean;
  EXPECT_LT(std::abs(variance - 1.0), 5.0 * std::sqrt(2.0 / (n - 1.0)))
      << "variance " << variance;
  EXPECT_LT(std::abs(fourth - 3.0), 5.0 * std::sqrt(96.0 / n))
      << "fourth moment " << fourth;
}

// P(|X| > 2) = erfc(sqrt 2) = 0.0455003; the fraction of n draws beyond 2
// sigma has standard error sqrt(p (1 - p) / n). Same for 3 sigma, where a
// wrong tail shape shows more.
TEST(GaussianNoiseTest, TailFractionsMatchStandardNormal) {
  GaussianNoise noise = MakeNoise(4);
  const std::vector<double> x = Draw(noise, kDraws);
  const double n = static_cast<double>(x.size());
  for (double k : {2.0, 3.0}) {
    const double p = std::erfc(k / std::sqrt(2.0));
    size_t beyond = 0;
    for (double v : x) beyond += std::abs(v) > k;
    const double fraction = static_cast<double>(beyond) / n;
    EXPECT_LT(std::abs(fraction - p), 5.0 * std::sqrt(p * (1.0 - p) / n))
        << k << " sigma: fraction " << fraction << ", expected " << p;
  }
  EXPECT_NEAR(std::erfc(std::sqrt(2.0)), 0.0455003, 1e-7);
}

// Kolmogorov-Smirnov: D = sup |F_n(x) - Phi(x)|. sqrt(n) D exceeds 1.95 with
// probability 0.001 for a correct sampler (Kolmogorov distribution).
TEST(GaussianNoiseTest, KolmogorovSmirnovAgainstStandardNormal) {
  GaussianNoise noise = MakeNoise(5);
  std::vector<double> x = Draw(noise, kDraws);
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double cdf = Phi(x[i]);
    d = std::max(d, std::max(cdf - i / n, (i + 1) / n - cdf));
  }
  EXPECT_LT(std::sqrt(n) * d, 1.95) << "D = " << d;
}

// The two halves of each Box-Muller pair are independent; a sampler that
// reused a uniform or an angle would correlate them. Correlation of m pairs
// has standard error 1/sqrt(m).
TEST(GaussianNoiseTest, PairHalvesAreUncorrelated) {
  GaussianNoise noise = MakeNoise(6);
  const std::vector<double> x = Draw(noise, kDraws);
  const double pairs = static_cast<double>(x.size() / 2);
  double cross = 0.0;
  double next_pair = 0.0;  // second half of pair i with first of pair i + 1
  for (size_t i = 0; i + 1 < x.size(); i += 2) {
    cross += x[i] * x[i + 1];
    if (i + 2 < x.size()) next_pair += x[i + 1] * x[i + 2];
  }
  EXPECT_LT(std::abs(cross / pairs), 5.0 / std::sqrt(pairs));
  EXPECT_LT(std::abs(next_pair / (pairs - 1.0)), 5.0 / std::sqrt(pairs - 1.0));
}

TEST(GaussianNoiseTest, AddWithZeroStddevLeavesValuesUnchanged) {
  GaussianNoise noise = MakeNoise(7);
  std::vector<float> values = {1.5f,
                               -0.0f,
                               0.0f,
                               -3.25f,
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::max()};
  const std::vector<float> before = values;
  ASSERT_TRUE(noise.Add(0.0, absl::MakeSpan(values)).ok());
  ASSERT_EQ(values.size(), before.size());
  // Bit for bit: -0.0f must stay -0.0f.
  EXPECT_EQ(
      std::memcmp(values.data(), before.data(), values.size() * sizeof(float)),
      0);
  // Nothing was drawn: the sequence continues from its start.
  GaussianNoise fresh = MakeNoise(7);
  EXPECT_EQ(noise.Next(), fresh.Next());
}

TEST(GaussianNoiseTest, AddAddsScaledSamplesInOrder) {
  GaussianNoise noise = MakeNoise(8);
  GaussianNoise twin = MakeNoise(8);
  std::vector<float> values(1001);  // odd: leaves a spare sine behind
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.01f * i;
  const std::vector<float> before = values;
  ASSERT_TRUE(noise.Add(2.5, absl::MakeSpan(values)).ok());
  for (size_t i = 0; i < values.size(); ++i) {
    const float expected =
        static_cast<float>(static_cast<double>(before[i]) + 2.5 * twin.Next());
    ASSERT_EQ(values[i], expected) << i;
  }
  EXPECT_EQ(noise.Next(), twin.Next());
}

TEST(GaussianNoiseTest, AddToEmptySpanIsOk) {
  GaussianNoise noise = MakeNoise(8);
  EXPECT_TRUE(noise.Add(1.0, absl::Span<float>()).ok());
}

TEST(GaussianNoiseTest, AddRejectsNegativeOrNonFiniteStddev) {
  GaussianNoise noise = MakeNoise(10);
  std::vector<float> values = {1.0f, 2.0f};
  for (double stddev : {-1.0, -1e-300, std::numeric_limits<double>::infinity(),
                        std::numeric_limits<double>::quiet_NaN()}) {
    absl::Status status = noise.Add(stddev, absl::MakeSpan(values));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << stddev;
    EXPECT_THAT(status.message(), HasSubstr("standard deviation"));
    EXPECT_EQ(values, (std::vector<float>{1.0f, 2.0f}));
  }
}

TEST(GaussianNoiseTest, CreateRejectsSeedThatIsNot32Bytes) {
  for (size_t size : {0, 16, 31, 33, 64}) {
    absl::StatusOr<GaussianNoise> noise =
        GaussianNoise::Create(crypto::SecretBytes(size));
    EXPECT_EQ(noise.status().code(), absl::StatusCode::kInvalidArgument)
        << size;
    EXPECT_THAT(noise.status().message(), HasSubstr("32 bytes"));
  }
}

TEST(GaussianNoiseTest, RandomSeedsGiveDifferentNoise) {
  absl::StatusOr<GaussianNoise> a =
      GaussianNoise::Create(crypto::SecretBytes::Random(32));
  absl::StatusOr<GaussianNoise> b =
      GaussianNoise::Create(crypto::SecretBytes::Random(32));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->Next(), b->Next());
}

TEST(GaussianNoiseTest, MovedSourceContinuesTheSequence) {
  GaussianNoise a = MakeNoise(11);
  GaussianNoise b = MakeNoise(11);
  a.Next();  // leaves the spare half pending
  b.Next();
  GaussianNoise moved = std::move(a);
  EXPECT_EQ(Draw(moved, 1000), Draw(b, 1000));
}

}  // namespace
}  // namespace fedge::privacy
