#ifndef FEDGE_SIMULATIONS_FLEET_H_
#define FEDGE_SIMULATIONS_FLEET_H_

// A fleet of virtual clients in this process, talking to a real fedge
// server over the real protocol (gRPC with mutual TLS, the simulator's
// certificate acting for each virtual client). The fleet owns the shared
// data pool and its partition, the clients' profiles and identities, a few
// shared connections and a compute pool sized to the machine, so that
// thousands of registered clients cost little while idle.

#include <grpcpp/channel.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/client_core.h"
#include "client/model_cache.h"
#include "common/data/dataset.h"
#include "common/data/partition_summary.h"
#include "common/net/tls_credentials.h"
#include "common/pki/memory_issuer.h"
#include "common/util/progress.h"
#include "simulations/part_trainer.h"
#include "simulations/sim_config.h"
#include "simulations/virtual_client.h"

namespace fedge::sim {

// The id of client `index` of a fleet of `count`: "sim-00042" for client 42
// of 10,000, so that ids sort in index order.
std::string VirtualClientId(size_t index, size_t count);

struct FleetOptions {
  FleetConfig config;
  uint64_t seed = 0;
  // The simulator's certificate and key, and the federation CA.
  net::ClientTlsFiles simulator_tls;
  // The federation's PKI directory: its CA issues the virtual clients'
  // certificates (in memory).
  std::string pki_dir;
  // Which clients this fleet runs: index % shard_count == shard.
  uint32_t shard = 0;
  uint32_t shard_count = 1;
  // The server's training deadline: a client whose simulated download,
  // training and upload take longer is a straggler and misses the round.
  absl::Duration training_deadline = absl::Minutes(10);
  std::string purpose_id = "fedge-training";
  // With model.kind torchscript: the model file the virtual clients load
  // (the one the server's config names; the server announces its SHA-256).
  std::string torchscript_path;
  // Remote shards: a client that vanished comes back after a moment (a
  // local simulation brings clients back between rounds instead).
  bool reconnect_vanished = false;
  // Shows how joining goes when many clients join at once; may be null.
  util::Progress* progress = nullptr;
};

struct FleetRoundStats {
  uint32_t available = 0;
  uint32_t stragglers = 0;
  uint32_t vanished = 0;
};

class Fleet {
 public:
  // Loads the data pool, partitions it, draws the profiles and starts the
  // compute pool. Nothing connects yet.
  static absl::StatusOr<std::unique_ptr<Fleet>> Create(FleetOptions options);
  ~Fleet();

  // Opens the shared connections to the server at `address`.
  absl::Status Connect(const std::string& address);

  // Brings online the members available in `round` (joining them), and
  // takes the others offline. Returns when every online member's task
  // stream is open on this side; the number online.
  absl::StatusOr<size_t> PrepareRound(uint64_t round);
  size_t online_count() const;
  size_t size() const { return clients_.size(); }
  // Members that heard the run finished.
  size_t finished_count() const;
  // Members the reconnector gave up on (the server refused them for good).
  size_t failed_count() const;
  // What the members did, summed.
  client::EdgeClientStats client_stats() const;
  void Shutdown();

  FleetRoundStats round_stats(uint64_t round) const;
  const data::PartitionSummary& partition() const { return partition_; }
  // Seconds spent training, summed over clients, since the fleet started.
  double training_seconds() const;
  // Compute pool threads.
  size_t threads() const { return workers_.size(); }

  // --- For virtual clients ---
  void Schedule(VirtualClient* client);
  std::unique_ptr<client::ClientCore> MakeCore(const VirtualClient& client);
  absl::StatusOr<pki::IssuedIdentity> IssueIdentity(const std::string& id);
  const FleetConfig& config() const { return options_.config; }
  uint64_t seed() const { return options_.seed; }
  absl::Duration training_deadline() const {
    return options_.training_deadline;
  }
  uint64_t examples_of(size_t index) const { return parts_[index].size(); }
  uint64_t example_size() const { return pool_.example_size(); }
  size_t num_attackers() const {
    return static_cast<size_t>(
        std::count(attackers_.begin(), attackers_.end(), true));
  }
  void CountStraggler(uint64_t round);
  void CountVanished(uint64_t round);
  void OnStreamEnded(VirtualClient* client);
  std::shared_ptr<grpc::Channel> ChannelFor(size_t index) const;
  const std::string& purpose_id() const { return options_.purpose_id; }

 private:
  explicit Fleet(FleetOptions options) : options_(std::move(options)) {}
  absl::Status Build();
  void WorkerLoop();
  void ReconnectLoop();
  // Runs fn(client) for each of `clients`, a few at a time.
  absl::Status ForEachInParallel(
      const std::vector<VirtualClient*>& clients,
      const std::function<absl::Status(VirtualClient*)>& fn);

  const FleetOptions options_;
  data::Dataset pool_;
  std::vector<std::vector<size_t>> parts_;
  // attackers_[i]: client i is malicious (fleet.attack).
  std::vector<bool> attackers_;
  data::PartitionSummary partition_;
  std::unique_ptr<pki::MemoryIssuer> issuer_;
  std::string ca_pem_;
  std::shared_ptr<client::ModelCache> cache_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<VirtualClient>> clients_;

  mutable absl::Mutex mu_;
  std::deque<VirtualClient*> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<VirtualClient*> to_reconnect_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, FleetRoundStats> stats_ ABSL_GUARDED_BY(mu_);
  size_t failed_ ABSL_GUARDED_BY(mu_) = 0;
  TrainingClock training_nanos_{0};
  std::vector<std::thread> workers_;
  std::thread reconnector_;
};

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_FLEET_H_
