#ifndef FEDGE_SERVER_FEDERATION_SERVER_H_
#define FEDGE_SERVER_FEDERATION_SERVER_H_

// The aggregator as one object: `fedge server`, the tests, the benchmarks and
// the simulator all run it through this class. Start() builds everything from
// the config (store, PKI, model, services, metrics endpoint) and starts the
// round driver; Wait() returns when the run is over.

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/config/server_config.h"
#include "common/metrics/registry.h"
#include "common/net/http_server.h"
#include "common/pki/revocation.h"
#include "common/util/clock.h"
#include "common/util/progress.h"
#include "server/admin_service.h"
#include "server/audit_trail.h"
#include "server/authenticator.h"
#include "server/client_activity.h"
#include "server/coordinator.h"
#include "server/federation_service.h"
#include "server/round_driver.h"
#include "server/run_reporter.h"
#include "server/run_state.h"
#include "server/server_metrics.h"
#include "server/session_registry.h"
#include "server/store.h"

namespace fedge::server {

struct ServerOptions {
  config::ServerConfig config;
  // Plaintext gRPC with self-declared client ids. Only for a local demo;
  // logged as a warning.
  bool insecure_local_demo = false;
  util::Clock* clock = util::Clock::Real();
  // Show a progress display on stderr (live on a terminal, plain lines
  // otherwise).
  bool show_progress = true;
  // An extra observer of rounds (tests, benchmarks); may be null.
  RunObserver* observer = nullptr;
  // Runs the rounds instead of the coordinator's own loop: a site
  // aggregator's link to its upstream (not owned; must outlive the server).
  RoundDriver* driver = nullptr;
  // See CoordinatorDeps::before_selection (the fleet simulator).
  std::function<void(uint64_t round)> before_selection;
};

class FederationServer {
 public:
  // Errors name the file or setting at fault (unreadable key, CRL not signed
  // by the CA, port in use, run directory of another model, ...).
  static absl::StatusOr<std::unique_ptr<FederationServer>> Start(
      ServerOptions options);
  ~FederationServer();

  // The bound gRPC port (useful with port 0).
  int port() const { return port_; }
  // The bound metrics port, or 0 if disabled.
  int metrics_port() const;
  const std::string& run_dir() const { return options_.config.run_dir; }
  const std::string& run_id() const { return run_id_; }

  // Blocks until the run is over; returns the round driver's result.
  absl::Status Wait();
  // Ends the run early (the round in progress is abandoned); clients are
  // told the run finished.
  void Stop(const std::string& reason);
  // Stops the round driver as for a shutdown: the round in progress is
  // abandoned, clients are disconnected with UNAVAILABLE and will reconnect
  // to the next server that resumes the run. Wait() then returns.
  void Interrupt(const std::string& reason);
  // After the run: keeps answering (final-model downloads, late clients
  // told the run ended) until no client has called in and no download has
  // run for `quiet`, at most for `grace`, or until Interrupt(). Returns
  // whether the edge went quiet.
  bool AwaitClientsQuiet(absl::Duration quiet, absl::Duration grace);
  // After the run: keeps answering until Interrupt() (a server that stays
  // up once its run ended, e.g. as a Kubernetes Deployment).
  void ServeUntilInterrupted();
  // Stops serving: interrupts the run if it is still going, then closes
  // every connection. Idempotent.
  void Shutdown();

  RunState& run_state() { return run_; }
  // Clients with an open task stream.
  size_t connected_clients() const { return sessions_->NumStreaming(); }
  // Waits until exactly `n` clients have an open task stream; false if
  // `deadline` passed first or the run was interrupted.
  bool AwaitConnectedClients(size_t n, absl::Time deadline) {
    return sessions_->AwaitStreamingExactly(n, deadline);
  }
  Store& store() { return *store_; }

 private:
  explicit FederationServer(ServerOptions options);
  absl::Status Build();

  ServerOptions options_;
  std::string run_id_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<pki::RevocationList> revocations_;
  std::unique_ptr<Authenticator> authenticator_;
  metrics::Registry registry_;
  std::unique_ptr<ServerMetrics> metrics_;
  RunState run_;
  std::unique_ptr<SessionRegistry> sessions_;
  std::unique_ptr<ClientActivity> activity_;
  std::unique_ptr<data::Dataset> central_data_;
  std::unique_ptr<models::Evaluator> evaluator_;
  std::unique_ptr<util::Progress> progress_;
  std::unique_ptr<RunReporter> reporter_;
  std::unique_ptr<RunObserver> fanout_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<FederationService> federation_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<net::HttpServer> http_server_;
  int port_ = 0;
  std::thread driver_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ = false;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_FEDERATION_SERVER_H_
