#ifndef FEDGE_BENCH_FEDERATION_HARNESS_H_
#define FEDGE_BENCH_FEDERATION_HARNESS_H_

// An in-process federation for end-to-end benchmarks: a real server and real
// edge clients over loopback gRPC with mutual TLS, the clients' local
// training replaced by a no-op so that what is measured is fedge itself
// (task push, model download, upload, validation, aggregation, commit).

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/edge_client.h"
#include "common/models/model_spec.h"
#include "server/federation_server.h"

namespace fedge::bench {

struct HarnessOptions {
  models::ModelSpec model;
  uint32_t clients = 10;
  uint32_t rounds = 10;
  // Keep a per-client model file on disk, as deployed clients do.
  bool client_state_on_disk = false;
  // Secure aggregation (SecAgg+) rounds, as a deployment runs by default;
  // off, the rounds are plaintext FedAvg.
  bool secure_aggregation = false;
};

class FederationHarness {
 public:
  explicit FederationHarness(HarnessOptions options);
  ~FederationHarness();

  // Starts the server and the clients; false (with a message on stderr) if
  // anything failed.
  bool Start();
  // Blocks until round `round` was reported and returns its report.
  server::RoundReport WaitForRound(uint64_t round);
  // Waits for the run and the clients to end.
  void Finish();

  std::vector<client::TransferEvent> transfers();
  int port() const { return server_->port(); }
  const std::string& pki_dir() const { return pki_dir_; }

 private:
  class Observer;
  HarnessOptions options_;
  std::string pki_dir_;
  std::string run_dir_;
  std::unique_ptr<Observer> observer_;
  std::unique_ptr<server::FederationServer> server_;
  std::vector<std::unique_ptr<client::EdgeClient>> clients_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::vector<client::TransferEvent> transfers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::bench

#endif  // FEDGE_BENCH_FEDERATION_HARNESS_H_
