#include "simulations/attack.h"

#include <memory>
#include <numeric>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::sim {
namespace {

using ::testing::ElementsAre;

// Returns `global` moved by a fixed delta (1, -2, 0.5).
class FixedStepTrainer final : public client::Trainer {
 public:
  absl::StatusOr<client::TrainResult> Train(
      const tensor::ParameterSet& global,
      const client::TrainOptions& options) override {
    client::TrainResult result;
    result.trained = global;
    absl::Span<float> v = result.trained.mutable_values();
    v[0] += 1.0f;
    v[1] -= 2.0f;
    v[2] += 0.5f;
    result.num_examples = 7;
    return result;
  }
  uint64_t num_examples() const override { return 7; }
};

tensor::ParameterSet Global() {
  return *tensor::ParameterSet::FromValues({{"w", {3}}}, {10.0f, 20.0f, 30.0f});
}

std::vector<float> TrainedWith(const AttackConfig& attack, uint64_t seed = 1) {
  auto trainer = PoisonUpdates(std::make_unique<FixedStepTrainer>(), attack);
  client::TrainOptions options;
  options.seed = seed;
  absl::StatusOr<client::TrainResult> result =
      trainer->Train(Global(), options);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(trainer->num_examples(), 7u);
  absl::Span<const float> v = result->trained.values();
  return std::vector<float>(v.begin(), v.end());
}

TEST(AttackTest, UpdateAttacksPoisonTheDelta) {
  AttackConfig attack;
  attack.kind = "sign_flip";
  // delta (1, -2, 0.5) becomes (-1, 2, -0.5).
  EXPECT_THAT(TrainedWith(attack), ElementsAre(9.0f, 22.0f, 29.5f));
  attack.kind = "scale";
  attack.scale = 4;
  EXPECT_THAT(TrainedWith(attack), ElementsAre(14.0f, 12.0f, 32.0f));
  attack.kind = "gaussian";
  attack.sigma = 0.25;
  std::vector<float> noisy = TrainedWith(attack, 5);
  // Noise, not the delta; the same training seed repeats it exactly.
  EXPECT_NE(noisy, (std::vector<float>{11.0f, 18.0f, 30.5f}));
  EXPECT_EQ(noisy, TrainedWith(attack, 5));
  EXPECT_NE(noisy, TrainedWith(attack, 6));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LT(std::abs(noisy[i] - Global().values()[i]), 0.25 * 6);
  }
  EXPECT_FALSE(PoisonsData(attack));
  attack.kind = "label_flip";
  EXPECT_TRUE(PoisonsData(attack));
}

TEST(AttackTest, TheSeedChoosesExactlyTheConfiguredShare) {
  AttackConfig attack;
  attack.fraction = 0.2;
  std::vector<bool> a = ChooseAttackers(attack, 7, 1000);
  EXPECT_EQ(std::count(a.begin(), a.end(), true), 200);
  EXPECT_EQ(a, ChooseAttackers(attack, 7, 1000));
  EXPECT_NE(a, ChooseAttackers(attack, 8, 1000));
  attack.fraction = 0.25;
  std::vector<bool> small = ChooseAttackers(attack, 7, 10);
  EXPECT_EQ(std::count(small.begin(), small.end(), true), 3);  // 2.5 rounds up
  attack.fraction = 0;
  std::vector<bool> none = ChooseAttackers(attack, 7, 10);
  EXPECT_EQ(std::count(none.begin(), none.end(), true), 0);
}

}  // namespace
}  // namespace fedge::sim
