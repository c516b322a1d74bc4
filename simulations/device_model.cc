#include "simulations/device_model.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/util/stable_hash.h"

namespace fedge::sim {
namespace {

double LogUniform(const Range& range, double u) {
  if (range.hi <= 0) return 0;
  double lo = std::max(range.lo, range.hi * 1e-6);
  return std::exp(std::log(lo) + u * (std::log(range.hi) - std::log(lo)));
}

}  // namespace

double UnitDraw(uint64_t seed, const std::string& id, uint64_t a, uint64_t b) {
  uint64_t h = util::StableHash64(absl::StrCat(seed, "/", id, "/", a, "/", b));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

DeviceProfile DrawProfile(const FleetConfig& fleet, uint64_t seed,
                          const std::string& id) {
  DeviceProfile p;
  p.examples_per_second =
      LogUniform(fleet.examples_per_second, UnitDraw(seed, id, 1));
  p.bytes_per_second =
      LogUniform(fleet.bandwidth_mbps, UnitDraw(seed, id, 2)) * 1e6 / 8;
  p.latency_seconds = LogUniform(fleet.latency_ms, UnitDraw(seed, id, 3)) / 1e3;
  p.online_from_hour = 24.0 * UnitDraw(seed, id, 4);
  return p;
}

bool IsOnline(const FleetConfig& fleet, const DeviceProfile& profile,
              uint64_t round) {
  if (fleet.availability != "diurnal") return true;
  double hour =
      std::fmod(fleet.hours_per_round * static_cast<double>(round), 24.0);
  double since = std::fmod(hour - profile.online_from_hour + 24.0, 24.0);
  return since < fleet.online_hours;
}

bool VanishesAt(const FleetConfig& fleet, uint64_t seed, const std::string& id,
                uint64_t round, Stage stage) {
  double p = 0;
  switch (stage) {
    case Stage::kAdvertise:
      p = fleet.dropout_advertise;
      break;
    case Stage::kShare:
      p = fleet.dropout_share;
      break;
    case Stage::kTraining:
      p = fleet.dropout_training;
      break;
    case Stage::kUnmask:
      p = fleet.dropout_unmask;
      break;
  }
  return p > 0 &&
         UnitDraw(seed, id, 100 + round, static_cast<uint64_t>(stage)) < p;
}

double SimulatedTrainingSeconds(const DeviceProfile& profile,
                                uint64_t model_bytes, uint64_t upload_bytes,
                                uint64_t examples_trained) {
  double seconds = 0;
  if (profile.bytes_per_second > 0) {
    seconds += static_cast<double>(model_bytes + upload_bytes) /
                   profile.bytes_per_second +
               2 * profile.latency_seconds;
  }
  if (profile.examples_per_second > 0) {
    seconds +=
        static_cast<double>(examples_trained) / profile.examples_per_second;
  }
  return seconds;
}

}  // namespace fedge::sim
