#include "server/differential_privacy.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/crypto/prg.h"
#include "common/crypto/secret_bytes.h"
#include "common/privacy/accountant.h"
#include "common/privacy/noise_share.h"
#include "common/secagg/parameters.h"
#include "common/secagg/quantizer.h"
#include "common/secagg/ring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using ::testing::HasSubstr;

config::PrivacyConfig Central(double clip, double z) {
  config::PrivacyConfig c;
  c.mode = "central";
  c.clip_norm = clip;
  c.noise_multiplier = z;
  return c;
}

std::unique_ptr<DifferentialPrivacy> Make(const config::PrivacyConfig& c,
                                          uint32_t cohort = 10) {
  auto dp = DifferentialPrivacy::Make(c, cohort);
  EXPECT_TRUE(dp.ok()) << dp.status();
  return dp.ok() ? *std::move(dp) : nullptr;
}

// Sample variance of `values` around 0 (the noise's known mean).
double Variance(const std::vector<float>& values) {
  double sum = 0;
  for (float v : values) sum += static_cast<double>(v) * v;
  return sum / static_cast<double>(values.size());
}

TEST(DifferentialPrivacyTest, CentralNoiseHasStddevZTimesSOverN) {
  auto dp = Make(Central(0.5, 1.2));
  ASSERT_NE(dp, nullptr);
  const int64_t m = 200000;
  auto base = tensor::ParameterSet::Zeros({{"w", {m}}});
  ASSERT_TRUE(base.ok());
  tensor::ParameterSet mean = *base;
  ASSERT_TRUE(dp->AddCentralNoise(*base, &mean, /*updates=*/8, 8).ok());
  const double sigma = 1.2 * 0.5 / 8;
  const double var = Variance({mean.values().begin(), mean.values().end()});
  // The variance of m samples has standard error sigma^2 * sqrt(2 / m).
  EXPECT_NEAR(var / (sigma * sigma), 1.0, 5 * std::sqrt(2.0 / m));
}

TEST(DifferentialPrivacyTest, LedgerMatchesTheAccountantAndSurvivesRestart) {
  config::PrivacyConfig c = Central(1.0, 1.1);
  c.delta = 1e-5;
  auto dp = Make(c);
  ASSERT_NE(dp, nullptr);
  EXPECT_EQ(*dp->Epsilon(), 0.0);
  const double q = 256.0 / 60000.0;
  // EpsilonAfter predicts Account exactly, and rounds only add.
  double previous = 0;
  for (int round = 0; round < 50; ++round) {
    absl::StatusOr<double> predicted = dp->EpsilonAfter(q);
    ASSERT_TRUE(predicted.ok());
    absl::StatusOr<v1::PrivacySpent> spent = dp->Account(q);
    ASSERT_TRUE(spent.ok()) << spent.status();
    EXPECT_DOUBLE_EQ(spent->epsilon(), *predicted);
    EXPECT_GT(spent->epsilon(), previous);
    EXPECT_NEAR(spent->round_epsilon(), spent->epsilon() - previous, 1e-12);
    previous = spent->epsilon();
  }
  privacy::RdpAccountant reference;
  reference.Compose(q, 1.1, 50);
  EXPECT_DOUBLE_EQ(previous, reference.Epsilon(1e-5)->epsilon);

  // A restarted server reads the ledger back and goes on from there.
  auto resumed = Make(c);
  ASSERT_NE(resumed, nullptr);
  ASSERT_TRUE(resumed->RestoreState(dp->SerializeState()).ok());
  EXPECT_DOUBLE_EQ(*resumed->Epsilon(), previous);
  EXPECT_EQ(resumed->RestoreState("something else").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(resumed->RestoreState("fedge-privacy-ledger 1\nround x 1\n").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DifferentialPrivacyTest, AdaptiveClippingNeedsEnoughCountNoise) {
  config::PrivacyConfig c = Central(1.0, 1.0);
  c.adaptive_clipping = true;
  c.count_noise_stddev = 0.4;  // must exceed z / 2 = 0.5
  auto dp = DifferentialPrivacy::Make(c, 10);
  EXPECT_EQ(dp.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dp.status().message(), HasSubstr("privacy.count_noise_stddev"));
  c.count_noise_stddev = 0;  // default cohort / 20 = 0.5: still too small
  EXPECT_FALSE(DifferentialPrivacy::Make(c, 10).ok());
  EXPECT_TRUE(DifferentialPrivacy::Make(c, 100).ok());  // 100 / 20 = 5
}

TEST(DifferentialPrivacyTest, AdaptiveClipNormIsRestoredWithTheLedger) {
  config::PrivacyConfig c = Central(2.0, 0.5);
  c.adaptive_clipping = true;
  c.count_noise_stddev = 1.0;
  auto dp = Make(c, 20);
  ASSERT_NE(dp, nullptr);
  auto base = tensor::ParameterSet::Zeros({{"w", {4}}});
  tensor::ParameterSet mean = *base;
  ASSERT_TRUE(dp->AddCentralNoise(*base, &mean, 20, 20).ok());
  EXPECT_NE(dp->clip_norm(), 2.0);  // moved by the round's count
  absl::StatusOr<v1::PrivacySpent> spent = dp->Account(0.1);
  ASSERT_TRUE(spent.ok());
  EXPECT_EQ(spent->clip_norm(), 2.0);  // the norm the round applied
  auto resumed = Make(c, 20);
  ASSERT_TRUE(resumed->RestoreState(dp->SerializeState()).ok());
  EXPECT_EQ(resumed->clip_norm(), dp->clip_norm());
}

// Distributed DP through the real secure aggregation arithmetic: k clients
// each clip a zero delta, add their noise share, quantize for the ring; the
// dequantized sum holds noise of variance (k / t) (z S)^2, which is the
// central (z S)^2 when exactly t inputs survive.
TEST(DifferentialPrivacyTest, DistributedNoiseSharesSumToTheCentralNoise) {
  config::PrivacyConfig c;
  c.mode = "distributed";
  c.clip_norm = 0.5;
  c.noise_multiplier = 1.1;
  auto dp = Make(c);
  ASSERT_NE(dp, nullptr);
  const size_t n = 10;
  const uint64_t m = 100000;
  secagg::SecAggConfig sc;
  sc.max_weight = 1;  // as the config loader sets it with DP on
  auto params = secagg::DeriveParameters(sc, n, m, "dp-test");
  ASSERT_TRUE(params.ok()) << params.status();
  const uint32_t t = params->threshold();
  ASSERT_GT(t, 1u);
  ASSERT_LT(t, n);
  params->set_clip_range(dp->SecAggClipRange(t));
  const double central = 1.1 * 0.5;
  const uint64_t ring_mask = secagg::RingMask(params->ring_bits());

  for (uint32_t k : {t, static_cast<uint32_t>(n)}) {
    std::vector<uint64_t> sum(m + 1, 0);
    for (uint32_t i = 0; i < k; ++i) {
      std::vector<float> delta(m, 0.0f);
      ASSERT_TRUE(privacy::ClipAndAddNoiseShare(absl::MakeSpan(delta),
                                                c.clip_norm,
                                                dp->NoiseShareStddev(t))
                      .ok());
      auto input = secagg::QuantizeWeighted(
          delta, 1, *params,
          crypto::SecretBytes::Random(crypto::kPrgSeedBytes));
      ASSERT_TRUE(input.ok()) << input.status();
      for (size_t j = 0; j <= m; ++j) {
        sum[j] = (sum[j] + (*input)[j]) & ring_mask;
      }
    }
    auto mean = secagg::Dequantize(sum, *params);
    ASSERT_TRUE(mean.ok()) << mean.status();
    ASSERT_EQ(mean->total_weight, k);
    std::vector<float> noise = mean->delta;
    for (float& v : noise) v *= static_cast<float>(k);  // the sum's noise
    const double expected = central * central * k / t;
    EXPECT_NEAR(Variance(noise) / expected, 1.0,
                5 * std::sqrt(2.0 / static_cast<double>(m)))
        << k << " of " << n << " inputs, threshold " << t;
  }
}

}  // namespace
}  // namespace fedge::server
