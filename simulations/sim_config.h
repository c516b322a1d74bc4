#ifndef FEDGE_SIMULATIONS_SIM_CONFIG_H_
#define FEDGE_SIMULATIONS_SIM_CONFIG_H_

// A fleet simulation (`fedge sim --config F`): the aggregator's config (the
// same schema as `fedge server`, minus what the simulator sets itself) and
// the virtual fleet: how many clients, whose data, how fast, how reliable.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/server_config.h"
#include "common/data/data_source.h"
#include "common/data/partition.h"
#include "simulations/attack.h"

namespace fedge::sim {

// A range [lo, hi] a per-client value is drawn from (log-uniformly, so that
// slow and fast devices are both represented), deterministic per client.
struct Range {
  double lo = 0;
  double hi = 0;
};

struct FleetConfig {
  uint32_t clients = 10;
  // The pool the clients' data is cut from (no partition here).
  data::DataSource data;
  // How it is cut (count is `clients`; the seed is the simulation's unless
  // fleet.partition.seed is set).
  data::PartitionSpec partition;
  bool partition_seed_set = false;
  // Devices: training speed (examples per second; 0: not simulated),
  // bandwidth (megabits per second, both ways; 0: not simulated), latency
  // per transfer (milliseconds).
  Range examples_per_second;
  Range bandwidth_mbps;
  Range latency_ms;
  // Probability that a selected client vanishes at each stage: when its
  // keys are due (secure rounds), when its key shares are due, while it
  // trains and uploads, when its unmask shares are due.
  double dropout_advertise = 0;
  double dropout_share = 0;
  double dropout_training = 0;
  double dropout_unmask = 0;
  // "always", or "diurnal": each client is online `online_hours` a day,
  // starting at an hour drawn per client; `hours_per_round` of simulated
  // time pass per round.
  std::string availability = "always";
  double online_hours = 8;
  double hours_per_round = 1;
  // Real seconds spent per simulated second of transfer and training
  // delays (0: none; the simulated times only decide stragglers).
  double time_scale = 0;
  // Compute pool: virtual clients working at once (0: the machine's cores).
  uint32_t threads = 0;
  // Malicious clients (none by default); see attack.h.
  AttackConfig attack;
};

struct SimConfig {
  std::string source_path;
  std::string name;
  uint64_t seed = 0;
  std::string run_dir = "runs/sim";
  config::ServerConfig server;
  FleetConfig fleet;
};

// Sets the seed of everything random: selection, training, devices and,
// unless the config set its own, the partition.
void SetSeed(uint64_t seed, SimConfig* config);

// Reads and validates a simulation config; errors as for the other configs
// ("FILE:LINE:COL: KEY: ..."). Relative paths resolve against the file's
// directory.
absl::StatusOr<SimConfig> LoadSimConfig(const std::string& path);
absl::StatusOr<SimConfig> ParseSimConfig(const std::string& yaml,
                                         const std::string& origin,
                                         const std::string& base_dir);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_SIM_CONFIG_H_
