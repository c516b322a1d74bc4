#ifndef FEDGE_CLIENT_EDGE_CLIENT_H_
#define FEDGE_CLIENT_EDGE_CLIENT_H_

// The edge runtime: connects to the aggregator with the device certificate,
// joins, and serves the task stream with a ClientCore (download, train,
// upload, secure aggregation, evaluation). If the server goes away it
// reconnects with exponential backoff and jitter and carries on. Local data
// never leaves the core's trainer and evaluator; only model-shaped deltas
// (masked, in secure rounds), counts and metrics are sent.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/client_core.h"
#include "client/client_types.h"
#include "client/model_cache.h"
#include "client/server_connection.h"
#include "common/config/client_config.h"
#include "common/data/dataset.h"
#include "common/net/backoff.h"
#include "common/net/tls_credentials.h"
#include "common/util/clock.h"

namespace fedge::client {

struct EdgeClientOptions {
  std::string server_address;
  // Mutual TLS files; unset means the insecure local demo mode, where the
  // client names itself with `insecure_client_id`.
  std::optional<net::ClientTlsFiles> tls;
  std::string insecure_client_id;
  std::string region = "unspecified";
  config::ConsentConfig consent;
  // How much data the device holds, declared when it joins.
  v1::DataFootprint data;
  net::BackoffPolicy backoff;
  // Give up after this long without a successful join (0: never).
  absl::Duration give_up_after = absl::ZeroDuration();
  // TorchScript file of the federation's model, if it is one.
  std::string torchscript_path;
  // Where the latest global model and the audit receipts are kept ("" =
  // memory only: receipts are then checked and dropped).
  std::string state_dir;
  size_t chunk_size = 1 << 20;
  // Timeout of unary calls and of the join handshake.
  absl::Duration rpc_timeout = absl::Seconds(30);
  // Called after each transfer (for benchmarks and diagnostics); may be
  // empty.
  TransferObserver on_transfer;
  // See ClientCoreOptions::rounding_seed.
  std::function<crypto::SecretBytes(uint64_t round)> rounding_seed;

  // Serving the global model this client holds (`fedge client --serve`,
  // serve::ClientModelServer). Both hooks run on the thread that calls
  // Run() and may be empty.
  // After each join, before any task: the federation's model architecture.
  std::function<void(const models::ModelSpec& spec)> on_joined;
  // After a new global model was downloaded and stored in `state_dir`.
  std::function<void(uint64_t version)> on_model_stored;
  // When the server ends the run, download its final global model if this
  // client lacks it (otherwise a client holds the model of the last round it
  // took part in). A failure is logged; Run still returns OK.
  bool fetch_final_model = false;
};

class EdgeClient {
 public:
  // `eval_data` (may be null: evaluation tasks are then declined) must
  // outlive the client.
  EdgeClient(EdgeClientOptions options, TrainerFactory trainer_factory,
             EvaluatorFactory evaluator_factory, const data::Dataset* eval_data,
             util::Clock* clock = util::Clock::Real());

  // Serves the federation until the server says the run finished (OK), the
  // server refuses this client for good (PermissionDenied, FailedPrecondition,
  // InvalidArgument, Unauthenticated), Stop() is called (Cancelled) or
  // give_up_after passes without a connection (Unavailable).
  absl::Status Run();

  // Makes Run return soon. Thread-safe.
  void Stop();

  // Tells the server this client leaves; with `withdraw_consent` it will be
  // refused from then on. Opens its own connection.
  absl::Status Leave(const std::string& reason, bool withdraw_consent);

  EdgeClientStats stats() const { return core_.stats(); }
  // Why the server ended the run, once Run returned OK; "" before.
  std::string finished_reason() const;

 private:
  absl::Status Session();
  absl::StatusOr<std::unique_ptr<ServerConnection>> Connect();
  bool stopped() const;

  const EdgeClientOptions options_;
  util::Clock* const clock_;
  ClientCore core_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::string finished_reason_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_EDGE_CLIENT_H_
