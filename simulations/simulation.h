#ifndef FEDGE_SIMULATIONS_SIMULATION_H_
#define FEDGE_SIMULATIONS_SIMULATION_H_

// `fedge sim --config F`: a whole federation on one machine. The real
// aggregator (FederationServer, with its own simulation PKI) listens on
// loopback with mutual TLS; a Fleet of virtual clients runs the deployed
// client's code against it. Before each round the fleet brings online the
// clients available in that round and the server waits until it sees
// exactly those, so that the same seed selects the same cohort and the
// run's models are the same, digest for digest, every time.
//
// The run directory holds:
//   pki/            the simulation's CA, server and simulator certificates
//   server/         the aggregator's run directory (state, checkpoints,
//                   metrics.jsonl)
//   partition.json  every client's size and label counts
//   metrics.csv     one line per round (written as rounds finish)
//   report.html     the self-contained report

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "server/federation_server.h"
#include "simulations/fleet.h"
#include "simulations/sim_config.h"
#include "simulations/sim_report.h"

namespace fedge::sim {

struct SimulationOptions {
  // A live progress display on stderr (plain lines when not a terminal).
  bool show_progress = true;
  // Replace an earlier simulation's run directory (otherwise refused).
  bool overwrite = false;
  // Where the partition summary and the closing lines go; may be null.
  std::ostream* out = &std::cout;
};

struct SimulationResult {
  std::string run_dir;
  std::vector<RoundRow> rounds;
  uint64_t model_version = 0;
  std::string model_sha256;  // hex
  double wall_seconds = 0;
  // Seconds the virtual clients spent training, summed over clients.
  double compute_seconds = 0;
  size_t threads = 0;  // compute pool
  // Peak resident set size of the process, bytes.
  uint64_t peak_rss_bytes = 0;
};

// The aggregator a simulation runs: the config's server section with the
// simulation's name and seed, listening on a free loopback port with the
// PKI in `pki_dir`, writing to `run_dir`, accepting virtual clients.
config::ServerConfig AggregatorConfig(const SimConfig& sim,
                                      const std::string& pki_dir,
                                      const std::string& run_dir);

class Simulation {
 public:
  // Prepares the run directory and its PKI, loads and partitions the data
  // and builds the fleet (writing partition.json, printing its summary).
  // FailedPrecondition if the run directory holds an earlier simulation and
  // `overwrite` is not set.
  static absl::StatusOr<std::unique_ptr<Simulation>> Create(
      SimConfig config, SimulationOptions options);
  ~Simulation();

  // Runs every round, then writes metrics.csv and report.html. Aborted
  // (after writing them) if the fleet failed, e.g. could not come online
  // for a round; a run ended by Stop is OK.
  absl::StatusOr<SimulationResult> Run();

  // Ends the run early (the round in progress is abandoned); Run then
  // writes what there is. Thread-safe.
  void Stop(const std::string& reason);

  const data::PartitionSummary& partition() const {
    return fleet_->partition();
  }

 private:
  class Recorder;
  Simulation(SimConfig config, SimulationOptions options);
  absl::Status Prepare();
  void BeforeSelection(uint64_t round);
  absl::Status WriteReport(const SimulationResult& result) const;

  const SimConfig config_;
  const SimulationOptions options_;
  std::unique_ptr<util::Progress> progress_;
  std::unique_ptr<Fleet> fleet_;
  std::unique_ptr<Recorder> recorder_;
  // Set once the server is up and the fleet connected.
  absl::Notification ready_;
  absl::Mutex mu_;
  server::FederationServer* server_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string stop_reason_ ABSL_GUARDED_BY(mu_);
  // Why the simulation itself failed (the fleet could not come online), as
  // opposed to being stopped; Run then reports it as an error.
  std::string failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_SIMULATION_H_
