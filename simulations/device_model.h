#ifndef FEDGE_SIMULATIONS_DEVICE_MODEL_H_
#define FEDGE_SIMULATIONS_DEVICE_MODEL_H_

// How simulated devices differ and fail, all drawn deterministically from
// the run's seed and the client's id, so the same config replays the same
// fleet: speed, bandwidth, latency, daily availability, and the chance of
// vanishing at each stage of a round.

#include <cstdint>
#include <string>

#include "simulations/sim_config.h"

namespace fedge::sim {

struct DeviceProfile {
  double examples_per_second = 0;  // 0: training time not simulated
  double bytes_per_second = 0;     // 0: transfer time not simulated
  double latency_seconds = 0;
  double online_from_hour = 0;  // diurnal availability: start of window
};

// A uniform double in [0, 1) from (seed, words...): deterministic.
double UnitDraw(uint64_t seed, const std::string& id, uint64_t a = 0,
                uint64_t b = 0);

// The profile of client `id` (log-uniform in each configured range).
DeviceProfile DrawProfile(const FleetConfig& fleet, uint64_t seed,
                          const std::string& id);

// Whether a client is online during `round` (diurnal: a window of
// online_hours a day; hours_per_round of simulated time per round).
bool IsOnline(const FleetConfig& fleet, const DeviceProfile& profile,
              uint64_t round);

// Stages at which a selected client may vanish.
enum class Stage { kAdvertise = 1, kShare = 2, kTraining = 3, kUnmask = 4 };

// Whether `id` vanishes at `stage` of `round`.
bool VanishesAt(const FleetConfig& fleet, uint64_t seed, const std::string& id,
                uint64_t round, Stage stage);

// Simulated seconds a training task takes on `profile`: download the model,
// train, upload the update (each transfer plus latency).
double SimulatedTrainingSeconds(const DeviceProfile& profile,
                                uint64_t model_bytes, uint64_t upload_bytes,
                                uint64_t examples_trained);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_DEVICE_MODEL_H_
