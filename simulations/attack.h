#ifndef FEDGE_SIMULATIONS_ATTACK_H_
#define FEDGE_SIMULATIONS_ATTACK_H_

// Malicious virtual clients, so that a fleet simulation can show what an
// aggregation strategy does under attack (fleet.attack in a simulation
// config). A fixed share of the fleet, chosen from the seed, poisons its
// training:
//   label_flip  trains honestly on flipped labels (class c -> C - 1 - c)
//   sign_flip   uploads the negated delta
//   scale       uploads the delta multiplied by `scale`
//   gaussian    uploads Gaussian noise of standard deviation `sigma`
//               instead of its delta
// The attackers run the deployed client code otherwise: they join, mask
// and upload like everyone else, so secure aggregation carries their
// poison into the sum exactly as it would in a deployment.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/trainer.h"

namespace fedge::sim {

struct AttackConfig {
  // Share of the fleet's clients that attack, in [0, 1).
  double fraction = 0;
  std::string kind = "sign_flip";
  double scale = 10;  // kind scale
  double sigma = 1;   // kind gaussian
};

// The names AttackConfig::kind accepts.
const std::vector<std::string>& AttackKinds();

// Which of `clients` clients attack: exactly round(fraction * clients) of
// them, a uniform choice determined by `seed`.
std::vector<bool> ChooseAttackers(const AttackConfig& attack, uint64_t seed,
                                  size_t clients);

// Wraps an honest trainer so that what it returns poisons the update (for
// the update attacks: sign_flip, scale, gaussian). The Gaussian noise is
// seeded by the task's training seed, so runs repeat.
std::unique_ptr<client::Trainer> PoisonUpdates(
    std::unique_ptr<client::Trainer> honest, const AttackConfig& attack);

// Whether `kind` poisons the data (label_flip) rather than the update.
bool PoisonsData(const AttackConfig& attack);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_ATTACK_H_
