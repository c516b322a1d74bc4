#ifndef FEDGE_CLIENT_EDGE_CLIENT_H_
#define FEDGE_CLIENT_EDGE_CLIENT_H_

// The edge runtime: connects to the aggregator with the device certificate,
// joins, and serves the task stream: downloads the global model version it
// lacks, trains on local data, uploads the weight delta in chunks, evaluates
// when asked. If the server goes away it reconnects with exponential backoff
// and jitter and carries on. Local data never leaves this object's trainer
// and evaluator; only model-shaped deltas, counts and metrics are sent.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/trainer.h"
#include "common/config/client_config.h"
#include "common/data/dataset.h"
#include "common/models/evaluator.h"
#include "common/net/backoff.h"
#include "common/net/tls_credentials.h"
#include "common/tensor/parameter_set.h"
#include "common/util/clock.h"
#include "fedge/v1/federation.grpc.pb.h"

namespace fedge::client {

// One completed model download or update upload, as the client saw it.
struct TransferEvent {
  enum class Direction { kDownload, kUpload };
  Direction direction;
  uint64_t round = 0;  // 0 for downloads
  uint64_t bytes = 0;
  double seconds = 0;  // from the call's start to its verified end
  bool ok = false;
};

struct EdgeClientOptions {
  std::string server_address;
  // Mutual TLS files; unset means the insecure local demo mode, where the
  // client names itself with `insecure_client_id`.
  std::optional<net::ClientTlsFiles> tls;
  std::string insecure_client_id;
  std::string region = "unspecified";
  config::ConsentConfig consent;
  net::BackoffPolicy backoff;
  // Give up after this long without a successful join (0: never).
  absl::Duration give_up_after = absl::ZeroDuration();
  // TorchScript file of the federation's model, if it is one.
  std::string torchscript_path;
  // Where the latest global model is kept ("" = memory only).
  std::string state_dir;
  size_t chunk_size = 1 << 20;
  // Timeout of unary calls and of the join handshake.
  absl::Duration rpc_timeout = absl::Seconds(30);
  // Called after each transfer (for benchmarks and diagnostics); may be
  // empty.
  std::function<void(const TransferEvent&)> on_transfer;
};

using TrainerFactory = std::function<absl::StatusOr<std::unique_ptr<Trainer>>(
    const models::ModelSpec&)>;
using EvaluatorFactory =
    std::function<absl::StatusOr<std::unique_ptr<models::Evaluator>>(
        const models::ModelSpec&)>;

// Counters of what the client did, for logs and tests.
struct EdgeClientStats {
  uint64_t joins = 0;
  uint64_t rounds_trained = 0;
  uint64_t uploads_accepted = 0;
  uint64_t uploads_rejected = 0;
  uint64_t evaluations = 0;
  uint64_t models_downloaded = 0;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
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

  EdgeClientStats stats() const;

 private:
  class Connection;
  absl::Status Session();
  absl::Status HandleTask(Connection& conn, const v1::Task& task);
  absl::Status Train(Connection& conn, const v1::TrainTask& task);
  absl::Status Evaluate(Connection& conn, const v1::EvaluateTask& task);
  absl::StatusOr<std::shared_ptr<const tensor::ParameterSet>> EnsureModel(
      Connection& conn, const v1::ModelRef& ref);
  absl::Status Upload(Connection& conn, const v1::TrainTask& task,
                      const std::string& blob, const TrainResult& result);
  absl::Status PrepareModel(const v1::ModelDescriptor& descriptor);
  absl::StatusOr<std::unique_ptr<Connection>> Connect();
  void LoadCachedModel();
  bool stopped() const;

  const EdgeClientOptions options_;
  TrainerFactory trainer_factory_;
  EvaluatorFactory evaluator_factory_;
  const data::Dataset* const eval_data_;
  util::Clock* const clock_;

  std::string client_id_;
  std::optional<v1::ModelDescriptor> descriptor_;
  std::unique_ptr<Trainer> trainer_;
  std::unique_ptr<models::Evaluator> evaluator_;
  uint64_t model_version_ = 0;
  std::string model_sha256_;  // raw bytes; empty when no model is cached
  std::shared_ptr<const tensor::ParameterSet> model_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  EdgeClientStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_EDGE_CLIENT_H_
