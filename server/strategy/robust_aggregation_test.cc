#include "server/strategy/robust_aggregation.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Rows = std::vector<std::vector<float>>;

std::vector<absl::Span<const float>> Spans(const Rows& rows) {
  return std::vector<absl::Span<const float>>(rows.begin(), rows.end());
}

// Four honest updates close together and one outlier (index 4).
const Rows& FiveWithOutlier() {
  static const Rows* rows = new Rows{
      {1, 2, 3},        // 0
      {2, 2, 3},        // 1
      {1, 3, 3},        // 2
      {1, 2, 4},        // 3
      {100, -100, 50},  // 4: outlier
  };
  return *rows;
}

// Per coordinate, sorted: [1, 1, 1, 2, 100], [-100, 2, 2, 2, 3],
// [3, 3, 3, 4, 50] → medians [1, 2, 3].
TEST(RobustAggregationTest, MedianIgnoresOutlier) {
  auto median = CoordinateWiseMedian(Spans(FiveWithOutlier()));
  ASSERT_TRUE(median.ok()) << median.status();
  EXPECT_THAT(*median, ElementsAre(1.0f, 2.0f, 3.0f));
}

// Sorted columns [1, 2, 3, 100] and [-5, 0, 10, 20]: midpoints 2.5 and 5.
TEST(RobustAggregationTest, MedianOfEvenCountIsMidpointOfMiddlePair) {
  auto median =
      CoordinateWiseMedian(Spans({{1, 10}, {3, 20}, {2, -5}, {100, 0}}));
  ASSERT_TRUE(median.ok());
  EXPECT_THAT(*median, ElementsAre(2.5f, 5.0f));
}

// β = 0.2, n = 5 → k = 1 dropped at each end of each column:
//   [1, 1, 1, 2, 100]   → mean(1, 1, 2)  = 4/3
//   [-100, 2, 2, 2, 3]  → mean(2, 2, 2)  = 2
//   [3, 3, 3, 4, 50]    → mean(3, 3, 4)  = 10/3
TEST(RobustAggregationTest, TrimmedMeanIgnoresOutlier) {
  auto trimmed = TrimmedMean(Spans(FiveWithOutlier()), 0.2);
  ASSERT_TRUE(trimmed.ok()) << trimmed.status();
  EXPECT_THAT(*trimmed, ElementsAre(static_cast<float>(4.0 / 3), 2.0f,
                                    static_cast<float>(10.0 / 3)));
}

// β = 0 is the plain mean, which the outlier drags away:
// [105/5, -91/5, 63/5] = [21, -18.2, 12.6].
TEST(RobustAggregationTest, TrimmedMeanWithZeroBetaIsPlainMean) {
  auto mean = TrimmedMean(Spans(FiveWithOutlier()), 0.0);
  ASSERT_TRUE(mean.ok());
  EXPECT_THAT(*mean, ElementsAre(21.0f, static_cast<float>(-91.0 / 5),
                                 static_cast<float>(63.0 / 5)));
}

// Values [0, 1, 2, 3, 100] with weights [1, 2, 1, 1, 1], β = 0.2: 0 and 100
// are dropped, then (2·1 + 1·2 + 1·3) / (2 + 1 + 1) = 7/4.
TEST(RobustAggregationTest, TrimmedMeanWeightsTheKeptValues) {
  auto trimmed = TrimmedMean(Spans({{0}, {1}, {2}, {3}, {100}}), 0.2,
                             std::vector<double>{1, 2, 1, 1, 1});
  ASSERT_TRUE(trimmed.ok()) << trimmed.status();
  EXPECT_THAT(*trimmed, ElementsAre(1.75f));
}

// Values [0, 0, 4, 8] with weights [1, 3, 1, 1], β = 0.25 (k = 1). The two
// zeros tie; the lower index counts as smaller, so update 0 is dropped and
// update 1 kept: (3·0 + 1·4) / (3 + 1) = 1. (Dropping update 1 would give 2.)
TEST(RobustAggregationTest, TrimmedMeanBreaksTiesByIndex) {
  auto trimmed = TrimmedMean(Spans({{0}, {0}, {4}, {8}}), 0.25,
                             std::vector<double>{1, 3, 1, 1});
  ASSERT_TRUE(trimmed.ok());
  EXPECT_THAT(*trimmed, ElementsAre(1.0f));
}

// 0.29 · 100 is 28.999999999999996 in double; the trim count must still be
// 29. Values: 71 ones then 29 × 1000. Trimming 29 at each end keeps 42 ones
// (mean 1); trimming 28 would keep one 1000 (mean 1042/44).
TEST(RobustAggregationTest, TrimCountToleratesDecimalBeta) {
  Rows rows(100, {1.0f});
  for (int i = 71; i < 100; ++i) rows[i] = {1000.0f};
  auto trimmed = TrimmedMean(Spans(rows), 0.29);
  ASSERT_TRUE(trimmed.ok());
  EXPECT_THAT(*trimmed, ElementsAre(1.0f));
}

// Median and trimmed mean do not depend on the order of the updates, bit for
// bit (values drawn from a small set so that ties are common).
TEST(RobustAggregationTest, MedianAndTrimmedMeanAreOrderInvariant) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> small(-4, 4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Rows rows(9, std::vector<float>(64));
  for (auto& row : rows) {
    for (size_t j = 0; j < row.size(); ++j) {
      row[j] = (j % 2 == 0) ? static_cast<float>(small(rng)) / 3 : normal(rng);
    }
  }
  const std::vector<float> median = *CoordinateWiseMedian(Spans(rows));
  const std::vector<float> trimmed = *TrimmedMean(Spans(rows), 0.3);
  for (int trial = 0; trial < 10; ++trial) {
    std::shuffle(rows.begin(), rows.end(), rng);
    const std::vector<float> m = *CoordinateWiseMedian(Spans(rows));
    const std::vector<float> t = *TrimmedMean(Spans(rows), 0.3);
    ASSERT_EQ(std::memcmp(m.data(), median.data(), m.size() * sizeof(float)),
              0);
    ASSERT_EQ(std::memcmp(t.data(), trimmed.data(), t.size() * sizeof(float)),
              0);
  }
}

// f = 1, n = 5 > 2f + 2: each score sums the n − f − 2 = 2 smallest squared
// distances to the others. Squared distances among 0..3:
//   d01 = d02 = d03 = 1;  d12 = d13 = d23 = 2
// and from the outlier: d40 = 99² + 102² + 47² = 22414, d41 = 22217,
// d42 = 22619, d43 = 22321. Scores:
//   s0 = 1 + 1 = 2;  s1 = s2 = s3 = 1 + 2 = 3;  s4 = 22217 + 22321 = 44538.
// Krum picks update 0; the three best are 0 then the tie 1, 2, 3 broken by
// index: [0, 1, 2].
TEST(RobustAggregationTest, KrumPicksMostCentralUpdate) {
  auto best = Krum(Spans(FiveWithOutlier()), 1);
  ASSERT_TRUE(best.ok()) << best.status();
  EXPECT_THAT(*best, ElementsAre(1.0f, 2.0f, 3.0f));

  auto selected = MultiKrumSelect(Spans(FiveWithOutlier()), 1, 5);
  ASSERT_TRUE(selected.ok());
  EXPECT_THAT(*selected, ElementsAre(0u, 1u, 2u, 3u, 4u));
}

// Krum's choice follows the update, not its position: with the rows reversed
// the central update (now index 4) is still chosen.
TEST(RobustAggregationTest, KrumChoiceFollowsTheUpdateNotItsIndex) {
  Rows reversed(FiveWithOutlier().rbegin(), FiveWithOutlier().rend());
  auto selected = MultiKrumSelect(Spans(reversed), 1, 1);
  ASSERT_TRUE(selected.ok());
  EXPECT_THAT(*selected, ElementsAre(4u));
}

// m = 3 averages updates 0, 1, 2:
// ([1, 2, 3] + [2, 2, 3] + [1, 3, 3]) / 3 = [4/3, 7/3, 3].
TEST(RobustAggregationTest, MultiKrumAveragesBestThree) {
  auto avg = MultiKrum(Spans(FiveWithOutlier()), 1, 3);
  ASSERT_TRUE(avg.ok()) << avg.status();
  EXPECT_THAT(*avg, ElementsAre(static_cast<float>(4.0 / 3),
                                static_cast<float>(7.0 / 3), 3.0f));
}

// Weights [1, 1, 2, 1, 1000]: the selection (0, 1, 2) ignores them, so the
// outlier's huge weight buys nothing; the mean of the selected is weighted:
// (1·[1, 2, 3] + 1·[2, 2, 3] + 2·[1, 3, 3]) / 4 = [5, 10, 12] / 4.
TEST(RobustAggregationTest, MultiKrumWeightsOnlyTheSelectedMean) {
  auto avg = MultiKrum(Spans(FiveWithOutlier()), 1, 3,
                       std::vector<double>{1, 1, 2, 1, 1000});
  ASSERT_TRUE(avg.ok());
  EXPECT_THAT(*avg, ElementsAre(1.25f, 2.5f, 3.0f));
}

TEST(RobustAggregationTest, RejectsEmptyMismatchedAndNonFiniteUpdates) {
  const std::vector<absl::Span<const float>> none;
  EXPECT_EQ(CoordinateWiseMedian(none).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TrimmedMean(none, 0.1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Krum(none, 0).status().code(), absl::StatusCode::kInvalidArgument);

  const Rows ragged = {{1, 2, 3}, {1, 2, 3}, {1, 2}, {1, 2, 3}};
  absl::Status status = CoordinateWiseMedian(Spans(ragged)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("update 2 has 2 values, update 0 has 3"));
  EXPECT_EQ(MultiKrum(Spans(ragged), 0, 2).status().code(),
            absl::StatusCode::kInvalidArgument);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(CoordinateWiseMedian(Spans({{1}, {nan}, {2}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Krum(Spans({{1}, {inf}, {2}}), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RobustAggregationTest, RejectsBetaOutsideHalfOpenInterval) {
  const auto updates = Spans(FiveWithOutlier());
  for (double beta :
       {-0.1, 0.5, 0.7, std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE(beta);
    absl::Status status = TrimmedMean(updates, beta).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("[0, 0.5)"));
  }
}

TEST(RobustAggregationTest, KrumNeedsMoreThanTwoFPlusTwoUpdates) {
  const Rows four = {{1}, {2}, {3}, {4}};
  absl::Status status = Krum(Spans(four), 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("more than 2f + 2 = 4 updates, got 4"));
  // f = 0 needs n > 2: three updates suffice, two do not.
  EXPECT_TRUE(Krum(Spans({{1}, {2}, {3}}), 0).ok());
  EXPECT_EQ(Krum(Spans({{1}, {2}}), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Krum(Spans(FiveWithOutlier()), -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RobustAggregationTest, RejectsBadSelectionCountAndWeights) {
  const auto updates = Spans(FiveWithOutlier());
  EXPECT_EQ(MultiKrum(updates, 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MultiKrum(updates, 1, 6).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MultiKrum(updates, 1, 5).ok());

  EXPECT_EQ(MultiKrum(updates, 1, 3, std::vector<double>{1, 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status status =
      TrimmedMean(updates, 0.2, std::vector<double>{1, 1, 0, 1, 1}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("weight of update 2"));
  EXPECT_EQ(
      TrimmedMean(updates, 0.2,
                  std::vector<double>{1, 1, 1, 1,
                                      std::numeric_limits<double>::infinity()})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::server
