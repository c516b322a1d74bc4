#ifndef FEDGE_SIMULATIONS_SHARD_RUNNER_H_
#define FEDGE_SIMULATIONS_SHARD_RUNNER_H_

// `fedge sim --shard i/N --server ADDR`: slice i of a fleet (clients whose
// index is i modulo N) against a remote `fedge server` that accepts virtual
// clients. N such processes, on one machine or many (deploy/k8s/ runs them
// as a Kubernetes Indexed Job), make up the whole fleet. The server decides
// when rounds start (cohort.available_clients), so a shard keeps its
// clients online and brings back any that vanished, until the server says
// the run finished.

#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "client/client_types.h"
#include "simulations/fleet.h"
#include "simulations/sim_config.h"

namespace fedge::sim {

struct ShardOptions {
  // The fleet section is used; of the server section, the training
  // deadline (stragglers) and the purpose, which must match the server's.
  SimConfig config;
  uint32_t shard = 0;
  uint32_t shard_count = 1;
  std::string server_address;
  // A PKI directory of the server's federation holding ca.crt, ca.key (to
  // issue the virtual clients' certificates in memory) and
  // simulators/<simulator_id>.crt and .key.
  std::string pki_dir;
  std::string simulator_id;
  // The name the server's certificate must carry ("" = host of the address).
  std::string server_name;
  bool show_progress = true;
  std::ostream* out = &std::cout;
};

struct ShardResult {
  size_t clients = 0;
  size_t finished = 0;  // heard the run finished
  size_t failed = 0;    // refused by the server
  client::EdgeClientStats stats;
  double wall_seconds = 0;
};

class ShardRunner {
 public:
  // Checks the options, loads and partitions the data and builds this
  // shard's part of the fleet. InvalidArgument for a fleet the server
  // cannot drive (diurnal availability needs the local simulator).
  static absl::StatusOr<std::unique_ptr<ShardRunner>> Create(
      ShardOptions options);

  // Connects, brings every member online, and serves until each heard the
  // run finished or was refused (or Stop).
  absl::StatusOr<ShardResult> Run();
  void Stop();

 private:
  explicit ShardRunner(ShardOptions options) : options_(std::move(options)) {}

  const ShardOptions options_;
  std::unique_ptr<util::Progress> progress_;
  std::unique_ptr<Fleet> fleet_;
  std::once_flag stop_once_;
  absl::Notification stop_;
};

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_SHARD_RUNNER_H_
