#ifndef FEDGE_CLIENT_CLIENT_CORE_H_
#define FEDGE_CLIENT_CLIENT_CORE_H_

// What a client does with the tasks the server pushes: build the
// federation's model, download the global model it lacks, train on local
// data, upload the weight delta (or, in a secure round, take part in the
// secure aggregation stages and upload a masked input), evaluate. The edge
// runtime (EdgeClient) drives one core over its own connection; the fleet
// simulator drives many, one per virtual client, over shared connections.
// Local data never leaves the trainer and evaluator.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/client_types.h"
#include "client/model_cache.h"
#include "client/server_connection.h"
#include "common/crypto/secret_bytes.h"
#include "common/data/dataset.h"
#include "common/secagg/client.h"
#include "common/tensor/parameter_set.h"
#include "fedge/v1/federation.grpc.pb.h"

namespace fedge::client {

struct ClientCoreOptions {
  // TorchScript file of the federation's model, if it is one.
  std::string torchscript_path;
  size_t chunk_size = 1 << 20;
  // Called after each transfer; may be empty.
  TransferObserver on_transfer;
  // Secure rounds: the 32-byte seed of a round's stochastic rounding. Empty:
  // fresh from the CSPRNG. A simulator sets it to make runs reproducible;
  // it only decides rounding, never a mask.
  std::function<crypto::SecretBytes(uint64_t round)> rounding_seed;
  // Secure rounds: the device key and the federation CA (read when a secure
  // round starts). Empty: secure rounds are declined.
  std::function<absl::StatusOr<secagg::ClientIdentity>()> secagg_identity;
  // Build the trainer (and evaluator) only for a task and drop it after:
  // a virtual client's model and data exist only while it works.
  bool release_after_task = false;
  // Where audit receipts are kept ("" keeps none; they are still checked).
  std::string receipt_dir;
  // Called after a global model was downloaded (and kept in the cache's
  // state directory, if it has one), with its version; may be empty.
  std::function<void(uint64_t version)> on_model_downloaded;
};

class ClientCore {
 public:
  // `eval_data` may be null (evaluation tasks are then declined) and must
  // outlive the core; so must `cache`'s other users.
  ClientCore(ClientCoreOptions options, TrainerFactory trainer_factory,
             EvaluatorFactory evaluator_factory, const data::Dataset* eval_data,
             std::shared_ptr<ModelCache> cache);

  // After a successful Join: the client's id and the model to build.
  // FailedPrecondition (permanent: the client cannot take part) for an
  // unknown model kind or a TorchScript file that differs from the
  // federation's.
  absl::Status OnJoined(const std::string& client_id,
                        const v1::ModelDescriptor& descriptor);

  // Carries out one task. A returned error means this client cannot go on
  // (its trainer cannot train this model); everything else (a refused
  // upload, a secure round left) is logged and counted, and returns OK.
  absl::Status HandleTask(ServerConnection& conn, const v1::Task& task);

  // Downloads the global model `ref` names unless it is held already (a
  // client that serves the model fetches the run's final one this way).
  absl::Status FetchModel(ServerConnection& conn, const v1::ModelRef& ref);

  // The federation's model as of the last successful OnJoined. Call from
  // the thread that calls OnJoined.
  const models::ModelSpec& spec() const { return spec_; }

  EdgeClientStats stats() const;
  void CountJoin();

 private:
  struct TrainedDelta {
    tensor::ParameterSet delta;  // trained − global
    TrainResult result;
  };
  absl::StatusOr<std::shared_ptr<const tensor::ParameterSet>> EnsureModel(
      ServerConnection& conn, const v1::ModelRef& ref);
  absl::Status EnsureTrainer();
  absl::StatusOr<TrainedDelta> TrainDelta(ServerConnection& conn,
                                          const v1::TrainTask& task);
  absl::Status Train(ServerConnection& conn, const v1::TrainTask& task);
  absl::Status Upload(ServerConnection& conn, const v1::TrainTask& task,
                      const std::string& blob, const TrainResult* result);
  absl::Status Evaluate(ServerConnection& conn, const v1::EvaluateTask& task);
  void ReleaseIfIdle();

  // Secure rounds (client_core_secagg.cc).
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

  const ClientCoreOptions options_;
  TrainerFactory trainer_factory_;
  EvaluatorFactory evaluator_factory_;
  const data::Dataset* const eval_data_;
  std::shared_ptr<ModelCache> cache_;

  std::string client_id_;
  std::optional<v1::ModelDescriptor> descriptor_;
  models::ModelSpec spec_;
  std::unique_ptr<Trainer> trainer_;
  std::unique_ptr<models::Evaluator> evaluator_;
  // The secure round in progress, if any, its training task, and whether
  // this client has trained and uploaded for it (then only the unmask stage
  // is left, which needs no model).
  std::unique_ptr<secagg::SecAggClient> secure_;
  v1::TrainTask secure_task_;
  bool secure_trained_ = false;

  mutable absl::Mutex mu_;
  EdgeClientStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_CLIENT_CORE_H_
