#include "simulations/attack.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace fedge::sim {
namespace {

class PoisoningTrainer final : public client::Trainer {
 public:
  PoisoningTrainer(std::unique_ptr<client::Trainer> honest, AttackConfig attack)
      : honest_(std::move(honest)), attack_(std::move(attack)) {}

  absl::StatusOr<client::TrainResult> Train(
      const tensor::ParameterSet& global,
      const client::TrainOptions& options) override {
    absl::StatusOr<client::TrainResult> result =
        honest_->Train(global, options);
    if (!result.ok()) return result;
    absl::Span<const float> base = global.values();
    absl::Span<float> trained = result->trained.mutable_values();
    std::mt19937_64 rng(options.seed ^ 0x61747461636bULL);
    std::normal_distribution<double> noise(0.0, attack_.sigma);
    for (size_t i = 0; i < trained.size(); ++i) {
      const double delta = double{trained[i]} - double{base[i]};
      double poisoned = delta;
      if (attack_.kind == "sign_flip") {
        poisoned = -delta;
      } else if (attack_.kind == "scale") {
        poisoned = attack_.scale * delta;
      } else if (attack_.kind == "gaussian") {
        poisoned = noise(rng);
      }
      trained[i] = static_cast<float>(double{base[i]} + poisoned);
    }
    return result;
  }

  uint64_t num_examples() const override { return honest_->num_examples(); }

 private:
  std::unique_ptr<client::Trainer> honest_;
  const AttackConfig attack_;
};

}  // namespace

const std::vector<std::string>& AttackKinds() {
  static const auto* const kKinds = new std::vector<std::string>{
      "label_flip", "sign_flip", "scale", "gaussian"};
  return *kKinds;
}

std::vector<bool> ChooseAttackers(const AttackConfig& attack, uint64_t seed,
                                  size_t clients) {
  std::vector<bool> attackers(clients, false);
  const size_t count = static_cast<size_t>(
      std::llround(attack.fraction * static_cast<double>(clients)));
  std::vector<size_t> order(clients);
  std::iota(order.begin(), order.end(), 0);
  // A seeded Fisher-Yates shuffle: the same seed, the same attackers.
  std::mt19937_64 rng(seed ^ 0x6d616c6963696f75ULL);
  for (size_t i = 0; i + 1 < clients; ++i) {
    std::uniform_int_distribution<size_t> pick(i, clients - 1);
    std::swap(order[i], order[pick(rng)]);
  }
  for (size_t i = 0; i < std::min(count, clients); ++i) {
    attackers[order[i]] = true;
  }
  return attackers;
}

bool PoisonsData(const AttackConfig& attack) {
  return attack.kind == "label_flip";
}

std::unique_ptr<client::Trainer> PoisonUpdates(
    std::unique_ptr<client::Trainer> honest, const AttackConfig& attack) {
  return std::make_unique<PoisoningTrainer>(std::move(honest), attack);
}

}  // namespace fedge::sim
