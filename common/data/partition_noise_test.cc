#include "common/data/partition_noise.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/data/partition.h"
#include "common/data/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::testing::HasSubstr;

PartitionSpec NoiseSpec(size_t count, double sigma, uint64_t seed) {
  PartitionSpec spec;
  spec.scheme = PartitionScheme::kFeatureNoise;
  spec.count = count;
  spec.noise_sigma = sigma;
  spec.seed = seed;
  return spec;
}

// `n` examples of `width` features, every feature `value`; labels cycle
// through 4 classes.
Dataset Constant(size_t n, size_t width, float value) {
  Dataset d;
  d.example_shape = {static_cast<int64_t>(width)};
  d.features.assign(n * width, value);
  d.labels.resize(n);
  for (size_t i = 0; i < n; ++i) d.labels[i] = static_cast<int64_t>(i % 4);
  d.num_classes = 4;
  return d;
}

// Sample standard deviation of (a - b), element by element.
double StdOfDifference(const std::vector<float>& a,
                       const std::vector<float>& b) {
  double sum = 0.0;
  double sum_sq = 0.0;
  for (size_t j = 0; j < a.size(); ++j) {
    const double d = static_cast<double>(a[j]) - static_cast<double>(b[j]);
    sum += d;
    sum_sq += d * d;
  }
  const double n = static_cast<double>(a.size());
  const double mean = sum / n;
  return std::sqrt((sum_sq - n * mean * mean) / (n - 1.0));
}

TEST(FeatureNoiseSigmaTest, GrowsLinearlyFromZeroToNoiseSigma) {
  const PartitionSpec spec = NoiseSpec(5, 0.2, 1);
  EXPECT_EQ(FeatureNoiseSigma(spec, 0), 0.0);
  EXPECT_DOUBLE_EQ(FeatureNoiseSigma(spec, 1), 0.05);
  EXPECT_DOUBLE_EQ(FeatureNoiseSigma(spec, 2), 0.1);
  EXPECT_DOUBLE_EQ(FeatureNoiseSigma(spec, 3), 0.15);
  EXPECT_EQ(FeatureNoiseSigma(spec, 4), 0.2);  // exactly noise_sigma
}

TEST(FeatureNoiseSigmaTest, ZeroForASingleClientAndOtherSchemes) {
  EXPECT_EQ(FeatureNoiseSigma(NoiseSpec(1, 0.2, 1), 0), 0.0);
  PartitionSpec iid = NoiseSpec(5, 0.2, 1);
  iid.scheme = PartitionScheme::kIid;
  EXPECT_EQ(FeatureNoiseSigma(iid, 4), 0.0);
}

TEST(FeatureNoiseSeedTest, FollowsTheDocumentedDerivation) {
  SplitMix64 base(7 ^ 0x6e6f697365ULL);
  SplitMix64 client(base.Next() + 3);
  EXPECT_EQ(FeatureNoiseSeed(7, 3), client.Next());
  EXPECT_NE(FeatureNoiseSeed(7, 3), FeatureNoiseSeed(7, 4));
  EXPECT_NE(FeatureNoiseSeed(7, 3), FeatureNoiseSeed(8, 3));
}

TEST(AddFeatureNoiseTest, AddsSigmaTimesTheGeneratorsNormalDraws) {
  Dataset d = Constant(3, 2, 1.0f);
  ASSERT_TRUE(AddFeatureNoise(&d, 0.5, 99).ok());
  SplitMix64 rng(99);
  for (float x : d.features) {
    EXPECT_EQ(x, static_cast<float>(1.0 + 0.5 * rng.Normal()));
  }
}

TEST(AddFeatureNoiseTest, SampleStdMatchesSigma) {
  // 20000 draws: the sample std's standard error is sigma / sqrt(2 × 20000),
  // 0.0025 here; allow 5 of them.
  const Dataset clean = Constant(5000, 4, 0.0f);
  Dataset d = clean;
  ASSERT_TRUE(AddFeatureNoise(&d, 0.5, 3).ok());
  EXPECT_NEAR(StdOfDifference(d.features, clean.features), 0.5, 0.0125);
  double sum = 0.0;
  for (float x : d.features) sum += x;
  EXPECT_NEAR(sum / 20000.0, 0.0, 5 * 0.5 / std::sqrt(20000.0));
}

TEST(AddFeatureNoiseTest, ZeroSigmaLeavesDataUnchanged) {
  const Dataset clean = Constant(10, 3, 0.25f);
  Dataset d = clean;
  ASSERT_TRUE(AddFeatureNoise(&d, 0.0, 5).ok());
  EXPECT_EQ(d.features, clean.features);
}

TEST(AddFeatureNoiseTest, SameSeedSameNoiseOtherSeedOtherNoise) {
  Dataset a = Constant(10, 3, 0.0f);
  Dataset b = a;
  Dataset c = a;
  ASSERT_TRUE(AddFeatureNoise(&a, 0.1, 5).ok());
  ASSERT_TRUE(AddFeatureNoise(&b, 0.1, 5).ok());
  ASSERT_TRUE(AddFeatureNoise(&c, 0.1, 6).ok());
  EXPECT_EQ(a.features, b.features);
  EXPECT_NE(a.features, c.features);
}

TEST(AddFeatureNoiseTest, RejectsNullAndBadSigma) {
  EXPECT_EQ(AddFeatureNoise(nullptr, 0.1, 1).code(),
            absl::StatusCode::kInvalidArgument);
  Dataset d = Constant(2, 2, 0.0f);
  for (double sigma : {-1.0, std::nan(""), HUGE_VAL}) {
    const absl::Status status = AddFeatureNoise(&d, sigma, 1);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << sigma;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("it must be a finite number >= 0"));
  }
  EXPECT_EQ(d.features, Constant(2, 2, 0.0f).features);
}

TEST(ApplyPartitionNoiseTest, NoiseGrowsWithTheClientIndex) {
  // 5 clients of 500 examples × 8 features: 4000 values each. sigma_i =
  // 0.1 i; the sample std's standard error is sigma_i / sqrt(8000), about
  // 1.1%; allow 5 of them.
  const Dataset full = Constant(2500, 8, 0.5f);
  const PartitionSpec spec = NoiseSpec(5, 0.4, 21);
  absl::StatusOr<std::vector<std::vector<size_t>>> parts =
      Partition(full.labels, full.num_classes, spec);
  ASSERT_TRUE(parts.ok()) << parts.status();
  double previous = -1.0;
  for (size_t k = 0; k < 5; ++k) {
    const Dataset clean = full.Subset((*parts)[k]);
    Dataset noisy = clean;
    ASSERT_TRUE(ApplyPartitionNoise(spec, k, &noisy).ok());
    ASSERT_EQ(noisy.features.size(), 4000u);
    if (k == 0) {
      EXPECT_EQ(noisy.features, clean.features);
      previous = 0.0;
      continue;
    }
    const double expected = 0.1 * static_cast<double>(k);
    const double measured = StdOfDifference(noisy.features, clean.features);
    EXPECT_NEAR(measured, expected, 5 * expected / std::sqrt(8000.0))
        << "client " << k;
    EXPECT_GT(measured, previous);
    previous = measured;
  }
}

TEST(ApplyPartitionNoiseTest, OtherSchemesAddNothing) {
  PartitionSpec spec = NoiseSpec(3, 0.5, 1);
  spec.scheme = PartitionScheme::kShards;
  const Dataset clean = Constant(4, 2, 0.5f);
  Dataset d = clean;
  ASSERT_TRUE(ApplyPartitionNoise(spec, 2, &d).ok());
  EXPECT_EQ(d.features, clean.features);
}

TEST(ApplyPartitionNoiseTest, RejectsAnIndexOutOfRange) {
  Dataset d = Constant(4, 2, 0.5f);
  const absl::Status status = ApplyPartitionNoise(NoiseSpec(3, 0.5, 1), 3, &d);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "partition index 3 is out of range for count 3");
}

}  // namespace
}  // namespace fedge::data
