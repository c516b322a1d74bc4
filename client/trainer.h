#ifndef FEDGE_CLIENT_TRAINER_H_
#define FEDGE_CLIENT_TRAINER_H_

// Local training on the device: global state in, trained state out. The data
// never leaves the trainer. No LibTorch in this header.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/data/dataset.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"

namespace fedge::client {

struct TrainOptions {
  uint32_t local_epochs = 1;
  uint32_t batch_size = 32;
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
  // Use at most this many examples per round (0: all).
  uint64_t max_examples = 0;
  // Seeds shuffling (and dropout) so that a round is reproducible.
  uint64_t seed = 0;
  // FedProx (Li et al., 2020): adds (mu / 2) * ||w - w_global||^2 over the
  // trainable parameters to the local objective, pulling each client's
  // model towards the global one. 0: plain local SGD (FedAvg).
  float proximal_mu = 0.0f;
  // The version of `global` on the server that sent the task (a site
  // aggregator records which upstream model it adopted).
  uint64_t model_version = 0;
};

struct TrainResult {
  tensor::ParameterSet trained;  // the local model after training
  double loss = 0;               // mean training loss over the last epoch
  double accuracy = 0;           // training accuracy over the last epoch
  uint64_t num_examples = 0;     // examples used per epoch
  double seconds = 0;            // wall time of training
};

class Trainer {
 public:
  virtual ~Trainer() = default;
  // Starts from `global` and trains on local data. The trainer must not keep
  // references to `global`. Unavailable means only this round cannot be
  // trained (the client skips it and stays); any other error means this
  // client cannot train the model at all.
  virtual absl::StatusOr<TrainResult> Train(const tensor::ParameterSet& global,
                                            const TrainOptions& options) = 0;
  // Examples available for training.
  virtual uint64_t num_examples() const = 0;
};

// SGD (with momentum and weight decay) on cross-entropy loss, in LibTorch.
// `data` must outlive the trainer. Deterministic for a given seed when
// LibTorch runs with one intra-op thread.
absl::StatusOr<std::unique_ptr<Trainer>> CreateLocalTrainer(
    const models::ModelSpec& spec, const data::Dataset* data);

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_TRAINER_H_
