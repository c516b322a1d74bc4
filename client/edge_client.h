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
#include "client/server_connection.h"
#include "client/trainer.h"
#include "common/config/client_config.h"
#include "common/data/dataset.h"
#include "common/models/evaluator.h"
#include "common/net/backoff.h"
#include "common/net/tls_credentials.h"
#include "common/secagg/client.h"
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
  // Secure rounds: the 32-byte seed of a round's stochastic rounding. Empty:
  // fresh from the CSPRNG. A simulator sets it to make runs reproducible;
  // it only decides rounding, never a mask.
  std::function<crypto::SecretBytes(uint64_t round)> rounding_seed;
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
  // Secure rounds this client gave up (a check failed).
  uint64_t secure_rounds_abandoned = 0;
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
  absl::Status Session();
  absl::Status HandleTask(ServerConnection& conn, const v1::Task& task);
  struct TrainedDelta {
    tensor::ParameterSet delta;  // trained − global
    TrainResult result;
  };
  // Downloads the model if needed and trains on the local data.
  absl::StatusOr<TrainedDelta> TrainDelta(ServerConnection& conn,
                                          const v1::TrainTask& task);
  // Plaintext rounds: train, then upload the float32 delta.
  absl::Status Train(ServerConnection& conn, const v1::TrainTask& task);

  // Secure rounds (edge_client_secagg.cc): each stage of the protocol.
  absl::Status StartSecureRound(ServerConnection& conn,
                                const v1::TrainTask& task);
  absl::Status ShareSecureKeys(ServerConnection& conn,
                               const v1::SecAggShareKeysRequest& request);
  absl::Status UploadMaskedInput(ServerConnection& conn,
                                 const v1::SecAggMaskedInputRequest& request);
  absl::Status RevealSecureShares(ServerConnection& conn,
                                  const v1::SecAggUnmaskRequest& request);
  absl::Status SubmitSecAgg(ServerConnection& conn,
                            const v1::SecAggMessage& message);
  // Logs a secure stage's failure and drops the round's state; OK.
  absl::Status SecureStage(absl::Status status);
  absl::Status Evaluate(ServerConnection& conn, const v1::EvaluateTask& task);
  absl::StatusOr<std::shared_ptr<const tensor::ParameterSet>> EnsureModel(
      ServerConnection& conn, const v1::ModelRef& ref);
  // Uploads `blob` in chunks: a serialized delta with its metrics, or a
  // masked input (`result` null).
  absl::Status Upload(ServerConnection& conn, const v1::TrainTask& task,
                      const std::string& blob, const TrainResult* result);
  absl::Status PrepareModel(const v1::ModelDescriptor& descriptor);
  absl::StatusOr<std::unique_ptr<ServerConnection>> Connect();
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
  // The secure round in progress, if any, and its training task.
  std::unique_ptr<secagg::SecAggClient> secure_;
  v1::TrainTask secure_task_;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  EdgeClientStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_EDGE_CLIENT_H_
