#ifndef FEDGE_COMMON_MODELS_BUILTIN_MODELS_H_
#define FEDGE_COMMON_MODELS_BUILTIN_MODELS_H_

// Internal to common/models: the models fedge constructs itself. Callers use
// CreateModel (model.h).
//
// mlp: flatten → Linear(in, 200) → ReLU → Linear(200, 200) → ReLU →
//      Linear(200, num_classes); state fc1.{weight,bias} … fc3.{weight,bias}.
// cnn: for input [C, H, W]: Conv2d(C, 32, 5, padding 2) → ReLU → MaxPool(2) →
//      Conv2d(32, 64, 5, padding 2) → ReLU → MaxPool(2) → flatten →
//      Linear(64·⌊H/4⌋·⌊W/4⌋, 512) → ReLU → Linear(512, num_classes), the
//      model of McMahan et al. (2017); state conv1, conv2, fc1, fc2
//      {weight,bias}.
// Weights and biases are drawn uniformly from ±1/sqrt(fan_in) (PyTorch's
// default for these layers) with a generator private to the call, seeded
// with spec.init_seed: no global RNG state is read or seeded.

#include <memory>

#include "absl/status/statusor.h"
#include "common/models/model_spec.h"

namespace fedge::models {

class Model;

// Builds spec.kind "mlp" or "cnn". InvalidArgument if the input shape does
// not suit the kind (cnn needs [channels, height, width] with height and
// width at least 4). Expects the generic checks of CreateModel (positive
// dimensions, num_classes ≥ 1) to have passed.
absl::StatusOr<std::unique_ptr<Model>> CreateBuiltinModel(
    const ModelSpec& spec);

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_BUILTIN_MODELS_H_
