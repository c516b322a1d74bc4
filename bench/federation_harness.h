#ifndef FEDGE_BENCH_FEDERATION_HARNESS_H_
#define FEDGE_BENCH_FEDERATION_HARNESS_H_

// An in-process federation for end-to-end benchmarks: a real server and real
// edge clients over loopback gRPC with mutual TLS, the clients' local
// training replaced by a no-op so that what is measured is fedge itself
// (task push, model download, upload, validation, aggregation, commit).
// Its pieces (the PKI, the server options, the pool of edge clients) are
// also usable on their own, for scenarios that run the server in another
// process (bench/load_scenario.cc).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
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

// A fresh directory /tmp/PREFIX_XXXXXX; aborts if it cannot be made.
std::string TempDir(const char* prefix);

// The id of benchmark client `i`: "bench-<i>".
std::string BenchClientId(uint32_t i);

// Makes a federation PKI in `pki_dir` (CA, server, admin, audit key) and
// issues a device certificate to each of `clients` clients (BenchClientId).
absl::Status MakeBenchPki(const std::string& pki_dir, uint32_t clients);

// The server options the harness runs: the PKI of `pki_dir`, a run in
// `run_dir`, listening on a free loopback port, no metrics endpoint, no
// central evaluation, every one of `options.clients` clients in every round.
server::ServerOptions BenchServerOptions(const HarnessOptions& options,
                                         const std::string& pki_dir,
                                         const std::string& run_dir);

struct EdgeClientPoolOptions {
  std::string server_address;  // host:port
  std::string pki_dir;         // the clients' certificates (MakeBenchPki)
  // Clients first..first+count-1 (BenchClientId).
  uint32_t first = 0;
  uint32_t count = 0;
  std::string purpose_id = "fedge-training";
  // If set, each client keeps its model in STATE_ROOT/client-<i>.
  std::string state_root;
  // Called after each transfer; may be empty.
  client::TransferObserver on_transfer;
};

// Edge clients (client::EdgeClient, the deployed runtime), each with its own
// device certificate and its own gRPC channel (so its own TLS connection),
// whose local training returns the global model unchanged. Each runs on its
// own thread until the server ends the run or Stop() is called.
class EdgeClientPool {
 public:
  explicit EdgeClientPool(EdgeClientPoolOptions options);
  // Stops and joins the clients.
  ~EdgeClientPool();

  void Start();
  // Makes every client's Run return soon.
  void Stop();
  // Waits for every client's Run to return.
  void Join();
  // Clients whose Run returned an error (logged on stderr), not counting
  // those cancelled by Stop().
  size_t failures() const;
  size_t size() const { return clients_.size(); }

 private:
  EdgeClientPoolOptions options_;
  std::vector<std::unique_ptr<client::EdgeClient>> clients_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  mutable absl::Mutex mu_;
  size_t failures_ ABSL_GUARDED_BY(mu_) = 0;
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
  std::unique_ptr<EdgeClientPool> clients_;
  absl::Mutex mu_;
  std::vector<client::TransferEvent> transfers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::bench

#endif  // FEDGE_BENCH_FEDERATION_HARNESS_H_
