#include "server/strategy/aggregation_strategy.h"

#include <string>
#include <vector>

#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/round_state.h"

namespace fedge::server {
namespace {

using tensor::ParameterSet;
using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;
using ::testing::Pointwise;

ParameterSet Model(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return *ParameterSet::FromValues({{"w", {n}}}, std::move(v));
}

std::unique_ptr<AggregationStrategy> Make(config::StrategyConfig config) {
  auto s = AggregationStrategy::Make(config, {{"w", {2}}});
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

config::StrategyConfig Named(std::string name) {
  config::StrategyConfig c;
  c.name = std::move(name);
  return c;
}

std::vector<float> Values(const ParameterSet& p) {
  return {p.values().begin(), p.values().end()};
}

TEST(AggregationStrategyTest, FedAvgAndFedProxPublishTheMeanUnchanged) {
  for (const char* name : {"fedavg", "fedprox"}) {
    auto s = Make(Named(name));
    ASSERT_NE(s, nullptr);
    EXPECT_FALSE(s->needs_updates());
    EXPECT_FALSE(s->has_state());
    EXPECT_EQ(s->min_updates(), 1u);
    // The mean is passed through bit for bit (no base + (mean - base)).
    auto next = s->Next(Model({1, 2}), Model({0.1f, 3.3f}), {}, {});
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_THAT(Values(*next), ElementsAre(0.1f, 3.3f));
  }
}

TEST(AggregationStrategyTest, FedAvgMAccumulatesMomentumOverRounds) {
  config::StrategyConfig c = Named("fedavgm");
  c.server_learning_rate = 0.5;
  c.server_momentum = 0.5;
  auto s = Make(c);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->has_state());
  // Round 1: delta (2, -4); m = (2, -4); x = (1, 1) + 0.5 m = (2, -1).
  auto r1 = s->Next(Model({1, 1}), Model({3, -3}), {}, {});
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_THAT(Values(*r1), Pointwise(FloatEq(), {2.0f, -1.0f}));
  // Round 2: delta (2, 0); m = 0.5 (2, -4) + (2, 0) = (3, -2);
  // x = (2, -1) + 0.5 m = (3.5, -2).
  auto r2 = s->Next(*r1, Model({4, -1}), {}, {});
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_THAT(Values(*r2), Pointwise(FloatEq(), {3.5f, -2.0f}));
}

TEST(AggregationStrategyTest, RobustRulesUseTheKeptUpdatesNotTheMean) {
  std::vector<float> a = {1, 10}, b = {2, 20}, c = {3, 30}, d = {100, -900};
  std::vector<absl::Span<const float>> updates = {a, b, c, d};
  std::vector<double> weights = {1, 1, 1, 1};
  auto median = Make(Named("median"));
  ASSERT_NE(median, nullptr);
  EXPECT_TRUE(median->needs_updates());
  // Medians: (2.5, 15); the mean (ignored) would be dragged by d.
  auto next = median->Next(Model({0, 0}), Model({-7, -7}), updates, weights);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Values(*next), Pointwise(FloatEq(), {2.5f, 15.0f}));

  config::StrategyConfig trimmed = Named("trimmed_mean");
  trimmed.trim_fraction = 0.25;  // drops 1 high and 1 low per coordinate
  auto t = Make(trimmed);
  ASSERT_NE(t, nullptr);
  next = t->Next(Model({1, 1}), Model({0, 0}), updates, weights);
  ASSERT_TRUE(next.ok()) << next.status();
  // Coordinate 0 keeps (2, 3), coordinate 1 keeps (10, 20): base + means.
  EXPECT_THAT(Values(*next), Pointwise(FloatEq(), {3.5f, 16.0f}));
}

TEST(AggregationStrategyTest, KrumRefusesARoundWithTooFewUpdates) {
  config::StrategyConfig c = Named("krum");
  c.byzantine = 1;
  auto s = Make(c);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->min_updates(), 5u);
  std::vector<float> a = {1, 1}, b = {1, 2}, d = {50, 50};
  std::vector<absl::Span<const float>> updates = {a, b, d};
  auto next = s->Next(Model({0, 0}), Model({0, 0}), updates, {1, 1, 1});
  EXPECT_EQ(next.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(next.status().message(), HasSubstr("needs at least 5"));
}

TEST(AggregationStrategyTest, MultiKrumAveragesTheUpdatesNearestTheRest) {
  config::StrategyConfig c = Named("multi_krum");
  c.byzantine = 1;  // m = 0: n - f = 4 of the 5
  auto s = Make(c);
  ASSERT_NE(s, nullptr);
  std::vector<float> u1 = {1, 0}, u2 = {0, 1}, u3 = {1, 1}, u4 = {0, 0},
                     bad = {-40, 60};
  std::vector<absl::Span<const float>> updates = {u1, bad, u2, u3, u4};
  auto next = s->Next(Model({0, 0}), Model({0, 0}), updates, {1, 1, 1, 1, 1});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Values(*next), Pointwise(FloatEq(), {0.5f, 0.5f}));
}

TEST(AggregationStrategyTest, StateSurvivesARestartThroughTheRunDirectory) {
  const std::string dir = testing::MakeTempDir("strategy_state");
  config::StrategyConfig c = Named("fedadam");
  c.server_learning_rate = 0.1;
  auto first = Make(c);
  ASSERT_NE(first, nullptr);
  auto r1 = first->Next(Model({0, 0}), Model({1, -1}), {}, {});
  ASSERT_TRUE(r1.ok());
  auto state = first->SerializeState();
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(SaveRoundState(dir, "strategy", 1, *state).ok());
  auto expected = first->Next(*r1, Model({1, 1}), {}, {});
  ASSERT_TRUE(expected.ok());

  // A restarted server: fresh strategy, state restored from round 1.
  auto second = Make(c);
  ASSERT_NE(second, nullptr);
  auto saved = LoadRoundState(dir, "strategy", 1);
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_TRUE(second->RestoreState(*saved).ok());
  auto resumed = second->Next(*r1, Model({1, 1}), {}, {});
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(Values(*resumed), Values(*expected));

  // A missing file is NotFound; a damaged one is DataLoss; another rule's
  // state is refused.
  EXPECT_EQ(LoadRoundState(dir, "strategy", 7).status().code(),
            absl::StatusCode::kNotFound);
  const std::string path = util::JoinPath(dir, "strategy/round-000001.state");
  auto bytes = util::ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  std::string damaged = *bytes;
  damaged.back() ^= 1;
  ASSERT_TRUE(util::WriteFileAtomically(path, damaged).ok());
  EXPECT_EQ(LoadRoundState(dir, "strategy", 1).status().code(),
            absl::StatusCode::kDataLoss);
  ASSERT_TRUE(util::WriteFileAtomically(path, *bytes).ok());
  auto yogi = Make(Named("fedyogi"));
  ASSERT_NE(yogi, nullptr);
  EXPECT_EQ(yogi->RestoreState(*saved).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::server
