#ifndef FEDGE_COMMON_MODELS_INITIAL_STATE_H_
#define FEDGE_COMMON_MODELS_INITIAL_STATE_H_

// The server's view of a model: no LibTorch in this header.

#include "absl/status/statusor.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"

namespace fedge::models {

// Builds the model and returns its initial federated state (round 0's global
// model). Deterministic in spec (init_seed) for built-in models; for a
// TorchScript model it is the state saved in the file.
absl::StatusOr<tensor::ParameterSet> InitialState(const ModelSpec& spec);

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_INITIAL_STATE_H_
