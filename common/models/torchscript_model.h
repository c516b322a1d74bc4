#ifndef FEDGE_COMMON_MODELS_TORCHSCRIPT_MODEL_H_
#define FEDGE_COMMON_MODELS_TORCHSCRIPT_MODEL_H_

// Internal to common/models: a model loaded from a TorchScript file (saved
// with torch.jit.save). Callers use CreateModel (model.h).
//
// The federated state is named_parameters() then named_buffers(), both
// recursive with fully dotted names; the trainable parameters are those with
// requires_grad. forward(x) must take a float32 batch [batch, input_shape...]
// and return logits [batch, num_classes].

#include <memory>

#include "absl/status/statusor.h"
#include "common/models/model_spec.h"

namespace fedge::models {

class Model;

// Loads spec.torchscript_path. NotFound naming the file if it does not exist;
// InvalidArgument if it is not a TorchScript archive, holds a state tensor
// fedge cannot carry as float32 (complex, sparse, quantized), or its forward
// does not map a zero batch [1, input_shape...] to a floating tensor
// [1, num_classes].
absl::StatusOr<std::unique_ptr<Model>> LoadTorchScriptModel(
    const ModelSpec& spec);

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_TORCHSCRIPT_MODEL_H_
