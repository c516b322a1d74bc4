#include "server/strategy/fedavg.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using tensor::ParameterSet;
using ::testing::ElementsAre;

ParameterSet Make(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return *ParameterSet::FromValues({{"w", {n}}}, std::move(v));
}

// global = [1, 2, 3]; client A (3 examples) delta [1, 0, -2];
// client B (1 example) delta [-3, 4, 2].
// sum w*delta = [3-3, 0+4, -6+2] = [0, 4, -4]; W = 4
// new = [1 + 0/4, 2 + 4/4, 3 - 4/4] = [1, 3, 2].
TEST(FedAvgTest, WeightedAverageOfDeltasIsExact) {
  FedAvgAccumulator acc({{"w", {3}}});
  ASSERT_TRUE(acc.Add(Make({1, 0, -2}).view(), 3).ok());
  ASSERT_TRUE(acc.Add(Make({-3, 4, 2}).view(), 1).ok());
  EXPECT_EQ(acc.total_weight(), 4u);
  EXPECT_EQ(acc.num_updates(), 2u);
  auto next = acc.Apply(Make({1, 2, 3}));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(next->values(), ElementsAre(1.0f, 3.0f, 2.0f));
}

// Equal weights give the plain mean of the local models:
// locals [2, 4] and [4, 8] from global [0, 0] → [3, 6].
TEST(FedAvgTest, EqualWeightsGiveMeanOfLocalModels) {
  FedAvgAccumulator acc({{"w", {2}}});
  ASSERT_TRUE(acc.Add(Make({2, 4}).view(), 10).ok());
  ASSERT_TRUE(acc.Add(Make({4, 8}).view(), 10).ok());
  auto next = acc.Apply(Make({0, 0}));
  ASSERT_TRUE(next.ok());
  EXPECT_THAT(next->values(), ElementsAre(3.0f, 6.0f));
}

TEST(FedAvgTest, WrongLayoutLeavesSumUnchanged) {
  FedAvgAccumulator acc({{"w", {2}}});
  ASSERT_TRUE(acc.Add(Make({1, 1}).view(), 1).ok());
  absl::Status status = acc.Add(Make({5, 5, 5}).view(), 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(acc.num_updates(), 1u);
  auto next = acc.Apply(Make({0, 0}));
  EXPECT_THAT(next->values(), ElementsAre(1.0f, 1.0f));
}

TEST(FedAvgTest, OrderOfArrivalDoesNotChangeOneBit) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<ParameterSet> deltas;
  std::vector<uint64_t> weights;
  for (int c = 0; c < 12; ++c) {
    std::vector<float> v(1000);
    for (float& x : v) x = normal(rng) * (c % 3 == 0 ? 1e4f : 1.0f);
    deltas.push_back(Make(v));
    weights.push_back(1 + rng() % 5000);
  }
  ParameterSet global = Make(std::vector<float>(1000, 0.25f));
  auto run = [&](std::vector<int> order) {
    FedAvgAccumulator acc({{"w", {1000}}});
    for (int i : order) EXPECT_TRUE(acc.Add(deltas[i].view(), weights[i]).ok());
    return *acc.Apply(global);
  };
  std::vector<int> order(12);
  std::iota(order.begin(), order.end(), 0);
  ParameterSet first = run(order);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(order.begin(), order.end(), rng);
    ParameterSet again = run(order);
    EXPECT_EQ(std::memcmp(first.values().data(), again.values().data(),
                          first.num_bytes()),
              0);
  }
}

TEST(FedAvgTest, HugeValuesAreRefusedNotWrapped) {
  FedAvgAccumulator acc({{"w", {2}}});
  EXPECT_EQ(acc.Add(Make({1e30f, 0}).view(), 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(acc.num_updates(), 0u);
}

TEST(FedAvgTest, ZeroWeightIsRejected) {
  FedAvgAccumulator acc({{"w", {1}}});
  EXPECT_EQ(acc.Add(Make({1}).view(), 0).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FedAvgTest, ApplyWithoutUpdatesFails) {
  FedAvgAccumulator acc({{"w", {1}}});
  EXPECT_EQ(acc.Apply(Make({1})).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fedge::server
