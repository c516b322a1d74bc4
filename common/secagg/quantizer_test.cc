#include "common/secagg/quantizer.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::secagg {
namespace {

v1::SecAggParameters Params(uint64_t m) {
  v1::SecAggParameters p;
  p.set_clip_range(1.0);
  p.set_levels(1000);
  p.set_max_weight(50);
  p.set_ring_bits(32);
  p.set_num_elements(m + 1);
  return p;
}

TEST(QuantizerTest, ValuesAreWeightedLevelsAndTheWeightComesLast) {
  v1::SecAggParameters p = Params(3);
  // -1 → level 0, +1 → level 1000, 0 → level 500: all exact, no rounding.
  auto q = QuantizeWeighted({-1.0f, 1.0f, 0.0f}, 7, p,
                            crypto::SecretBytes::Random(32));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_THAT(*q, ::testing::ElementsAre(0u, 7000u, 3500u, 7u));
}

TEST(QuantizerTest, WeightIsCappedAndValuesClipped) {
  v1::SecAggParameters p = Params(2);
  auto q =
      QuantizeWeighted({-5.0f, 9.0f}, 1000, p, crypto::SecretBytes::Random(32));
  ASSERT_TRUE(q.ok());
  EXPECT_THAT(*q, ::testing::ElementsAre(0u, 50u * 1000u, 50u));
}

TEST(QuantizerTest, StochasticRoundingIsUnbiased) {
  v1::SecAggParameters p = Params(20000);
  std::vector<float> delta(20000, 0.0003f);  // 500.15 levels
  auto q = QuantizeWeighted(delta, 1, p, crypto::SecretBytes::Random(32));
  ASSERT_TRUE(q.ok());
  double mean = 0;
  for (size_t i = 0; i < delta.size(); ++i) {
    EXPECT_TRUE((*q)[i] == 500 || (*q)[i] == 501);
    mean += static_cast<double>((*q)[i]);
  }
  mean /= delta.size();
  // E = 500.15; sd of the mean = sqrt(0.15·0.85/20000) ≈ 0.0025.
  EXPECT_NEAR(mean, 500.15, 0.02);
}

TEST(QuantizerTest, DequantizedMeanOfTwoClientsIsWithinOneStep) {
  v1::SecAggParameters p = Params(4);
  std::vector<float> a = {0.1f, -0.25f, 0.9f, 0.0f};
  std::vector<float> b = {-0.3f, 0.5f, 0.2f, 0.7f};
  auto qa = QuantizeWeighted(a, 30, p, crypto::SecretBytes::Random(32));
  auto qb = QuantizeWeighted(b, 10, p, crypto::SecretBytes::Random(32));
  std::vector<uint64_t> sum(5);
  for (size_t i = 0; i < 5; ++i) sum[i] = (*qa)[i] + (*qb)[i];
  auto mean = Dequantize(sum, p);
  ASSERT_TRUE(mean.ok());
  EXPECT_EQ(mean->total_weight, 40u);
  for (size_t i = 0; i < 4; ++i) {
    double expected = (30.0 * a[i] + 10.0 * b[i]) / 40.0;
    EXPECT_NEAR(mean->delta[i], expected, QuantizationStep(p)) << i;
  }
}

TEST(QuantizerTest, BadInputsAreRejected) {
  v1::SecAggParameters p = Params(2);
  auto seed = crypto::SecretBytes::Random(32);
  EXPECT_FALSE(QuantizeWeighted({1.0f}, 1, p, seed).ok());
  EXPECT_FALSE(QuantizeWeighted({1.0f, 2.0f}, 0, p, seed).ok());
  EXPECT_FALSE(QuantizeWeighted({NAN, 2.0f}, 1, p, seed).ok());
  EXPECT_FALSE(Dequantize({1, 2, 0}, p).ok());  // zero weight
}

}  // namespace
}  // namespace fedge::secagg
