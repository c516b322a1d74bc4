#ifndef FEDGE_COMMON_MODELS_MODEL_H_
#define FEDGE_COMMON_MODELS_MODEL_H_

// A trainable LibTorch model, built in (mlp, cnn) or loaded from TorchScript.
// Only code that trains or evaluates includes this header; everything else
// sees models as tensor::ParameterSet.

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"

namespace fedge::models {

class Model {
 public:
  virtual ~Model() = default;

  // Logits, shape [batch, num_classes], for a batch shaped
  // [batch, input_shape...].
  virtual torch::Tensor Forward(const torch::Tensor& input) = 0;

  // The tensors the optimiser updates.
  virtual std::vector<torch::Tensor> TrainableParameters() = 0;

  // Switches between training and evaluation behaviour (dropout, batch norm).
  virtual void SetTraining(bool training) = 0;

  // The federated state: every parameter, then every buffer, each with its
  // fully qualified name, in an order that is the same for every instance of
  // the same architecture. The tensors alias the model's storage.
  virtual std::vector<std::pair<std::string, torch::Tensor>> NamedState() = 0;
};

// Builds the model `spec` describes. Built-in models are initialised from
// spec.init_seed, so equal specs give equal weights. Errors (unknown kind,
// unreadable TorchScript file, a TorchScript module whose forward does not
// accept the input shape) are InvalidArgument / NotFound with a message
// saying what to fix. Never throws.
absl::StatusOr<std::unique_ptr<Model>> CreateModel(const ModelSpec& spec);

// Specs of the model's federated state (names and shapes, float32).
std::vector<tensor::TensorSpec> StateSpecs(Model& model);

// Copies the model's federated state out as float32 (non-float buffers, such
// as batch norm's num_batches_tracked, are converted).
tensor::ParameterSet ExtractState(Model& model);

// Overwrites the model's federated state. InvalidArgument, naming the first
// mismatching tensor, if the layout differs; the model is unchanged then.
// Integer buffers are rounded back from float32.
absl::Status LoadState(const tensor::ParameterSet& state, Model& model);

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_MODEL_H_
