#include "server/strategy/server_optimizer.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using tensor::ParameterSet;
using tensor::TensorSpec;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;

std::vector<TensorSpec> Layout3() { return {{"w", {3}}}; }

ParameterSet Model(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return *ParameterSet::FromValues({{"w", {n}}}, std::move(v));
}

std::unique_ptr<ServerOptimizer> Make(ServerOptimizerConfig config,
                                      std::vector<TensorSpec> layout) {
  auto opt = MakeServerOptimizer(config, std::move(layout));
  EXPECT_TRUE(opt.ok()) << opt.status();
  return opt.ok() ? *std::move(opt) : nullptr;
}

ServerOptimizerConfig Config(std::string name) {
  ServerOptimizerConfig config;
  config.name = std::move(name);
  return config;
}

// η = 1: the float sum global + Δ, bit for bit, over values of very different
// magnitudes (where a careless double→float path could round twice).
TEST(ServerOptimizerTest, FedAvgWithUnitRateIsExactlyGlobalPlusDelta) {
  constexpr int kN = 4096;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-30, 30);
  std::vector<float> x(kN), d(kN);
  for (int i = 0; i < kN; ++i) {
    x[i] = std::ldexp(mantissa(rng), exponent(rng));
    d[i] = std::ldexp(mantissa(rng), exponent(rng));
  }
  auto opt = Make(Config("fedavg"), {{"w", {kN}}});
  ParameterSet global = Model(x);
  ASSERT_TRUE(opt->Step(d, &global).ok());
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(global.values()[i], x[i] + d[i]) << "index " << i;
  }
  EXPECT_EQ(opt->rounds(), 1u);
}

// η = 0.5, x0 = [1, 2, 3]:
//   Δ1 = [2, -4, 0.5]: x1 = [1 + 1, 2 - 2, 3 + 0.25]   = [2, 0, 3.25]
//   Δ2 = [-2, 1, 1]:   x2 = [2 - 1, 0 + 0.5, 3.25 + 0.5] = [1, 0.5, 3.75]
TEST(ServerOptimizerTest, FedAvgScalesDeltaByServerRate) {
  ServerOptimizerConfig config = Config("fedavg");
  config.learning_rate = 0.5;
  auto opt = Make(config, Layout3());
  ParameterSet x = Model({1, 2, 3});
  ASSERT_TRUE(opt->Step(std::vector<float>{2, -4, 0.5}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(2.0f, 0.0f, 3.25f));
  ASSERT_TRUE(opt->Step(std::vector<float>{-2, 1, 1}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(1.0f, 0.5f, 3.75f));
}

// η = 0.5, β = 0.5, x0 = [1, 2, 3], m0 = 0:
//   Δ1 = [1, -2, 4]: m1 = [1, -2, 4]
//                    x1 = [1 + 0.5, 2 - 1, 3 + 2]        = [1.5, 1, 5]
//   Δ2 = [1, 2, 0]:  m2 = 0.5·[1, -2, 4] + [1, 2, 0]     = [1.5, 1, 2]
//                    x2 = [1.5 + 0.75, 1 + 0.5, 5 + 1]    = [2.25, 1.5, 6]
//   Δ3 = [0, 0, 0]:  m3 = 0.5·m2                          = [0.75, 0.5, 1]
//                    x3 = [2.25 + 0.375, 1.5 + 0.25, 6 + 0.5]
//                       = [2.625, 1.75, 6.5]
// (The last round shows momentum still moving the model with no new signal.)
TEST(ServerOptimizerTest, FedAvgMAccumulatesServerMomentum) {
  ServerOptimizerConfig config = Config("fedavgm");
  config.learning_rate = 0.5;
  config.momentum = 0.5;
  auto opt = Make(config, Layout3());
  ParameterSet x = Model({1, 2, 3});
  ASSERT_TRUE(opt->Step(std::vector<float>{1, -2, 4}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(1.5f, 1.0f, 5.0f));
  ASSERT_TRUE(opt->Step(std::vector<float>{1, 2, 0}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(2.25f, 1.5f, 6.0f));
  ASSERT_TRUE(opt->Step(std::vector<float>{0, 0, 0}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(2.625f, 1.75f, 6.5f));
}

// η = 1, β1 = 0.5, τ = 0.75 (v0 = τ² = 0.5625; the numbers are chosen so
// every √v is exact), x0 = [1, 2, 3]:
//   Δ1 = [1, -1, 0]:
//     m1 = 0.5·Δ1                = [0.5, -0.5, 0]
//     v1 = 0.5625 + [1, 1, 0]    = [1.5625, 1.5625, 0.5625]
//     √v1 + τ                    = [2, 2, 1.5]
//     x1 = x0 + [0.25, -0.25, 0] = [1.25, 1.75, 3]
//   Δ2 = [3, 0, 1]:
//     m2 = 0.5·m1 + 0.5·Δ2       = [1.75, -0.25, 0.5]
//     v2 = v1 + [9, 0, 1]        = [10.5625, 1.5625, 1.5625]
//     √v2 + τ                    = [4, 2, 2]
//     x2 = x1 + [0.4375, -0.125, 0.25] = [1.6875, 1.625, 3.25]
TEST(ServerOptimizerTest, FedAdagradMatchesHandComputedRounds) {
  ServerOptimizerConfig config = Config("fedadagrad");
  config.learning_rate = 1.0;
  config.beta1 = 0.5;
  config.beta2 = 0.123;  // not read by FedAdagrad
  config.tau = 0.75;
  auto opt = Make(config, Layout3());
  ParameterSet x = Model({1, 2, 3});
  ASSERT_TRUE(opt->Step(std::vector<float>{1, -1, 0}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(1.25f, 1.75f, 3.0f));
  ASSERT_TRUE(opt->Step(std::vector<float>{3, 0, 1}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(1.6875f, 1.625f, 3.25f));
}

// η = 1, β1 = 0.75, β2 = 0.5, τ = 1 (v0 = 1), x0 = [1, 2, 3]. No bias
// correction, as in the paper.
//   Δ1 = [1, 7, -1]: m1 = 0.25·Δ1                    = [0.25, 1.75, -0.25]
//                    v1 = 0.5·1 + 0.5·[1, 49, 1]     = [1, 25, 1]
//                    √v1 + τ                         = [2, 6, 2]
//                    x1 = x0 + [0.125, 1.75/6, -0.125]
//                       = [1.125, 2.2916667, 2.875]
//   Δ2 = [7, 5, 1]:  m2 = 0.75·m1 + 0.25·Δ2
//                       = [0.1875 + 1.75, 1.3125 + 1.25, -0.1875 + 0.25]
//                       = [1.9375, 2.5625, 0.0625]
//                    v2 = 0.5·v1 + 0.5·[49, 25, 1]   = [25, 25, 1]
//                    √v2 + τ                         = [6, 6, 2]
//                    x2 = x1 + [1.9375/6, 2.5625/6, 0.03125]
//                       = [1.4479167, 2.71875, 2.90625]
TEST(ServerOptimizerTest, FedAdamMatchesHandComputedRounds) {
  ServerOptimizerConfig config = Config("fedadam");
  config.learning_rate = 1.0;
  config.beta1 = 0.75;
  config.beta2 = 0.5;
  config.tau = 1.0;
  auto opt = Make(config, Layout3());
  ParameterSet x = Model({1, 2, 3});
  ASSERT_TRUE(opt->Step(std::vector<float>{1, 7, -1}, &x).ok());
  EXPECT_THAT(x.values(),
              Pointwise(FloatNear(1e-6),
                        std::vector<float>{1.125f, 2.2916667f, 2.875f}));
  ASSERT_TRUE(opt->Step(std::vector<float>{7, 5, 1}, &x).ok());
  EXPECT_THAT(x.values(),
              Pointwise(FloatNear(1e-6),
                        std::vector<float>{1.4479167f, 2.71875f, 2.90625f}));
}

// Same hyperparameters as the FedAdam test (β1 = 0.75, β2 = 0.5, τ = 1,
// v0 = 1), x0 = [1, 2, 3]. Yogi: v ← v − 0.5·Δ²·sign(v − Δ²).
//   Δ1 = [1, 4, 0]:  m1 = 0.25·Δ1                    = [0.25, 1, 0]
//                    v: [1 − 0.5·1·sign(0), 1 − 0.5·16·sign(−15),
//                        1 − 0·sign(1)]              = [1, 9, 1]
//                    √v1 + τ                         = [2, 4, 2]
//                    x1 = x0 + [0.125, 0.25, 0]      = [1.125, 2.25, 3]
//   Δ2 = [2, 2, 1]:  m2 = 0.75·m1 + 0.25·Δ2          = [0.6875, 1.25, 0.25]
//                    v: [1 + 0.5·4, 9 − 0.5·4, 1 − 0.5·1·sign(0)]
//                                                    = [3, 7, 1]
//                    (Adam would give [2.5, 6.5, 1]: Yogi lowers v[1] by
//                    0.5·Δ², not by half the gap.)
//                    x2 = x1 + [0.6875/(√3 + 1), 1.25/(√7 + 1), 0.25/2]
//                       = [1.125 + 0.2516425, 2.25 + 0.3428649, 3.125]
//                       = [1.3766425, 2.5928649, 3.125]
TEST(ServerOptimizerTest, FedYogiMatchesHandComputedRounds) {
  ServerOptimizerConfig config = Config("fedyogi");
  config.learning_rate = 1.0;
  config.beta1 = 0.75;
  config.beta2 = 0.5;
  config.tau = 1.0;
  auto opt = Make(config, Layout3());
  ParameterSet x = Model({1, 2, 3});
  ASSERT_TRUE(opt->Step(std::vector<float>{1, 4, 0}, &x).ok());
  EXPECT_THAT(x.values(), ElementsAre(1.125f, 2.25f, 3.0f));
  ASSERT_TRUE(opt->Step(std::vector<float>{2, 2, 1}, &x).ok());
  EXPECT_THAT(x.values(),
              Pointwise(FloatNear(1e-6),
                        std::vector<float>{1.3766425f, 2.5928649f, 3.125f}));
}

TEST(ServerOptimizerTest, NameIsCaseInsensitiveAndCanonical) {
  auto opt = Make(Config("FedAdam"), Layout3());
  EXPECT_EQ(opt->name(), "fedadam");
}

// Two rounds straight through must equal one round, a save, a fresh
// optimiser restored from the save, and the second round.
TEST(ServerOptimizerTest, StateRoundTripResumesMomentumExactly) {
  const std::vector<float> d1 = {0.3f, -1.7f, 2.2f};
  const std::vector<float> d2 = {-0.4f, 0.9f, 0.01f};
  for (const char* name : kServerOptimizerNames) {
    SCOPED_TRACE(name);
    ServerOptimizerConfig config = Config(name);
    config.learning_rate = 0.1;
    auto straight = Make(config, Layout3());
    ParameterSet a = Model({1, 2, 3});
    ASSERT_TRUE(straight->Step(d1, &a).ok());
    ASSERT_TRUE(straight->Step(d2, &a).ok());

    auto before = Make(config, Layout3());
    ParameterSet b = Model({1, 2, 3});
    ASSERT_TRUE(before->Step(d1, &b).ok());
    absl::StatusOr<std::string> saved = before->SerializeState();
    ASSERT_TRUE(saved.ok()) << saved.status();
    auto after = Make(config, Layout3());
    ASSERT_TRUE(after->RestoreState(*saved).ok());
    EXPECT_EQ(after->rounds(), 1u);
    ASSERT_TRUE(after->Step(d2, &b).ok());
    EXPECT_THAT(b.values(), ElementsAreArray(a.values()));
    EXPECT_EQ(*after->SerializeState(), *straight->SerializeState());
  }
}

// Header 26 bytes + 8 bytes per double: fedavg keeps nothing, fedavgm m,
// the adaptive rules m and v.
TEST(ServerOptimizerTest, StateSizeIsHeaderPlusMoments) {
  EXPECT_EQ(Make(Config("fedavg"), Layout3())->SerializeState()->size(), 26u);
  EXPECT_EQ(Make(Config("fedavgm"), Layout3())->SerializeState()->size(),
            26u + 24u);
  EXPECT_EQ(Make(Config("fedyogi"), Layout3())->SerializeState()->size(),
            26u + 48u);
}

TEST(ServerOptimizerTest, RestoreRejectsForeignStateAndKeepsOwn) {
  auto adam = Make(Config("fedadam"), Layout3());
  ParameterSet x = Model({1, 2, 3});
  ASSERT_TRUE(adam->Step(std::vector<float>{1, 1, 1}, &x).ok());
  const std::string good = *adam->SerializeState();

  // Another rule.
  auto yogi = Make(Config("fedyogi"), Layout3());
  absl::Status status = yogi->RestoreState(good);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("saved by fedadam, not fedyogi"));

  // Another layout with the same number of parameters.
  auto renamed = Make(Config("fedadam"), {{"b", {3}}});
  EXPECT_EQ(renamed->RestoreState(good).code(),
            absl::StatusCode::kInvalidArgument);
  // Another size.
  auto bigger = Make(Config("fedadam"), {{"w", {4}}});
  EXPECT_EQ(bigger->RestoreState(good).code(),
            absl::StatusCode::kInvalidArgument);

  auto fresh = Make(Config("fedadam"), Layout3());
  const std::string fresh_state = *fresh->SerializeState();
  // Truncated, padded, empty.
  EXPECT_EQ(fresh->RestoreState(good.substr(0, good.size() - 1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fresh->RestoreState(good + "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fresh->RestoreState("").code(), absl::StatusCode::kInvalidArgument);
  // Another format version.
  std::string version2 = good;
  version2[0] = 2;
  status = fresh->RestoreState(version2);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("version 2"));
  // A negative v (the last double; its sign bit is the top bit of the last
  // byte).
  std::string negative_v = good;
  negative_v.back() = static_cast<char>(negative_v.back() | 0x80);
  EXPECT_EQ(fresh->RestoreState(negative_v).code(),
            absl::StatusCode::kInvalidArgument);

  // None of the failures touched the fresh state.
  EXPECT_EQ(*fresh->SerializeState(), fresh_state);
  EXPECT_EQ(fresh->rounds(), 0u);
}

TEST(ServerOptimizerTest, BadStepLeavesModelAndStateUnchanged) {
  auto opt = Make(Config("fedavgm"), Layout3());
  ParameterSet x = Model({1, 2, 3});
  const std::string state = *opt->SerializeState();

  const float nan = std::numeric_limits<float>::quiet_NaN();
  absl::Status status = opt->Step(std::vector<float>{1, nan, 1}, &x);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("mean delta value 1"));
  EXPECT_EQ(opt->Step(std::vector<float>{1, 1}, &x).code(),
            absl::StatusCode::kInvalidArgument);
  ParameterSet wrong_layout = Model({1, 2, 3, 4});
  EXPECT_EQ(opt->Step(std::vector<float>{1, 1, 1, 1}, &wrong_layout).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(opt->Step(std::vector<float>{1, 1, 1}, nullptr).code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_THAT(x.values(), ElementsAre(1.0f, 2.0f, 3.0f));
  EXPECT_EQ(*opt->SerializeState(), state);
  EXPECT_EQ(opt->rounds(), 0u);
}

TEST(ServerOptimizerTest, UnknownNameListsAcceptedNames) {
  auto opt = MakeServerOptimizer(Config("fedsgd"), Layout3());
  ASSERT_EQ(opt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(opt.status().message(),
              HasSubstr("unknown server optimizer \"fedsgd\"; expected one of "
                        "fedavg, fedavgm, fedadagrad, fedadam, fedyogi"));
}

TEST(ServerOptimizerTest, OutOfRangeHyperparametersAreNamed) {
  struct Case {
    const char* name;
    void (*set)(ServerOptimizerConfig*);
    const char* field;
  };
  const Case cases[] = {
      {"fedavg", [](ServerOptimizerConfig* c) { c->learning_rate = 0; },
       "learning_rate"},
      {"fedadam", [](ServerOptimizerConfig* c) { c->learning_rate = -1; },
       "learning_rate"},
      {"fedavg",
       [](ServerOptimizerConfig* c) {
         c->learning_rate = std::numeric_limits<double>::quiet_NaN();
       },
       "learning_rate"},
      {"fedavgm", [](ServerOptimizerConfig* c) { c->momentum = 1.0; },
       "momentum"},
      {"fedavgm", [](ServerOptimizerConfig* c) { c->momentum = -0.1; },
       "momentum"},
      {"fedadagrad", [](ServerOptimizerConfig* c) { c->beta1 = 1.0; }, "beta1"},
      {"fedadagrad", [](ServerOptimizerConfig* c) { c->tau = 0; }, "tau"},
      {"fedadam", [](ServerOptimizerConfig* c) { c->beta2 = 1.0; }, "beta2"},
      {"fedyogi",
       [](ServerOptimizerConfig* c) {
         c->beta1 = std::numeric_limits<double>::quiet_NaN();
       },
       "beta1"},
      {"fedyogi", [](ServerOptimizerConfig* c) { c->tau = -1e-3; }, "tau"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " " + c.field);
    ServerOptimizerConfig config = Config(c.name);
    c.set(&config);
    auto opt = MakeServerOptimizer(config, Layout3());
    ASSERT_EQ(opt.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(opt.status().message(), HasSubstr(c.field));
  }
}

// A rule does not validate fields it does not read.
TEST(ServerOptimizerTest, UnreadHyperparametersAreIgnored) {
  ServerOptimizerConfig config = Config("fedavg");
  config.momentum = 7;
  config.beta1 = -1;
  config.beta2 = 2;
  config.tau = 0;
  EXPECT_TRUE(MakeServerOptimizer(config, Layout3()).ok());
  config.name = "fedadagrad";
  config.beta1 = 0.9;
  config.tau = 1e-3;  // beta2 = 2 still: FedAdagrad has no β2
  EXPECT_TRUE(MakeServerOptimizer(config, Layout3()).ok());
}

TEST(ServerOptimizerTest, NegativeDimensionInLayoutIsRejected) {
  auto opt = MakeServerOptimizer(Config("fedadam"), {{"w", {3, -1}}});
  ASSERT_EQ(opt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(opt.status().message(), HasSubstr("negative dimension"));
}

}  // namespace
}  // namespace fedge::server
