#include "common/secagg/parameters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::secagg {
namespace {

using ::testing::HasSubstr;

TEST(ParametersTest, SmallCohortsUseTheCompleteGraph) {
  auto p = ChooseGraphParameters(4, 0.3, 0.05);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->complete);
  EXPECT_EQ(p->degree, 3u);
  EXPECT_EQ(p->threshold, 2u);
}

TEST(ParametersTest, LargeCohortsGetASparseGraph) {
  for (size_t n : {1000u, 10000u}) {
    auto p = ChooseGraphParameters(n, 0.05, 0.05);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_FALSE(p->complete);
    EXPECT_EQ(p->degree % 2, 0u);
    // Logarithmic, not linear, in the cohort size (Bell et al.: a few per
    // cent of 10^4 clients).
    EXPECT_LT(p->degree, n / 10) << n;
    EXPECT_GE(p->threshold, 2u);
    EXPECT_LE(p->threshold, p->degree);
  }
}

TEST(ParametersTest, MoreDropoutsNeedAtLeastAsManyNeighbours) {
  auto low = ChooseGraphParameters(1000, 0.05, 0.05);
  auto high = ChooseGraphParameters(1000, 0.3, 0.05);
  ASSERT_TRUE(low.ok() && high.ok());
  EXPECT_GE(high->degree, low->degree);
}

TEST(ParametersTest, ThresholdExceedsTheCorruptNeighbours) {
  auto p = ChooseGraphParameters(1000, 0.05, 0.2);
  ASSERT_TRUE(p.ok());
  // On average 20% of a client's neighbours are corrupt; t must exceed that
  // with a wide margin.
  EXPECT_GT(p->threshold, p->degree / 5);
}

TEST(ParametersTest, ImpossibleRatesAreExplained) {
  EXPECT_EQ(ChooseGraphParameters(10, 0.6, 0.4).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto tiny = ChooseGraphParameters(3, 0.5, 0.3);
  EXPECT_EQ(tiny.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(tiny.status().message()),
              HasSubstr("lower secure_aggregation.dropout_rate"));
}

TEST(ParametersTest, LevelsLeaveRoomForTheWholeCohortsSum) {
  SecAggConfig config;
  config.ring_bits = 32;
  config.max_weight = 1000;
  auto p = DeriveParameters(config, 100, 5000, "run/1");
  ASSERT_TRUE(p.ok()) << p.status();
  // Each value of the sum is at most n · W · L, which must fit in 32 bits.
  long double worst = 100.0L * 1000 * p->levels();
  EXPECT_LT(worst, 4294967296.0L);
  EXPECT_GE(100.0L * 1000 * (p->levels() + 1), 4294967296.0L);
  EXPECT_EQ(p->levels(), 42949u);
  EXPECT_EQ(p->num_elements(), 5001u);
  EXPECT_EQ(p->context(), "run/1");
}

TEST(ParametersTest, TooFewLevelsAsksForMoreBits) {
  SecAggConfig config;
  config.ring_bits = 16;
  config.max_weight = 1000;
  auto p = DeriveParameters(config, 100, 10, "c");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("raise secure_aggregation.bits"));
}

TEST(ParametersTest, ExplicitDegreeAndThresholdAreKeptAndChecked) {
  SecAggConfig config;
  config.degree = 4;
  config.threshold = 3;
  auto p = DeriveParameters(config, 20, 10, "c");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->degree(), 4u);
  EXPECT_EQ(p->threshold(), 3u);
  config.threshold = 5;
  EXPECT_FALSE(ValidateConfig(config).ok());
}

}  // namespace
}  // namespace fedge::secagg
