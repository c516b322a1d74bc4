#ifndef FEDGE_COMMON_MODELS_EVALUATOR_H_
#define FEDGE_COMMON_MODELS_EVALUATOR_H_

// Evaluation of a model state on a data set (central evaluation on the
// server, federated evaluation on clients). No LibTorch in this header.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/data/dataset.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"

namespace fedge::models {

struct EvalMetrics {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction of examples classified correctly
  uint64_t num_examples = 0;
};

class Evaluator {
 public:
  // Builds the model once; Evaluate may then be called for many states.
  static absl::StatusOr<std::unique_ptr<Evaluator>> Create(
      const ModelSpec& spec);
  virtual ~Evaluator() = default;

  // Loads `state` (layout must match the model) and evaluates it on all of
  // `data` in batches of `batch_size`, in inference mode.
  virtual absl::StatusOr<EvalMetrics> Evaluate(
      const tensor::ParameterSet& state, const data::Dataset& data,
      int64_t batch_size) = 0;
};

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_EVALUATOR_H_
