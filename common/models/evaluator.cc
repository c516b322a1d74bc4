#include "common/models/evaluator.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/models/batching.h"
#include "common/models/data_check.h"
#include "common/models/model.h"
#include "common/models/torch_status.h"
#include "common/util/status_macros.h"

namespace fedge::models {
namespace {

class TorchEvaluator : public Evaluator {
 public:
  TorchEvaluator(ModelSpec spec, std::unique_ptr<Model> model)
      : spec_(std::move(spec)), model_(std::move(model)) {}

  absl::StatusOr<EvalMetrics> Evaluate(const tensor::ParameterSet& state,
                                       const data::Dataset& data,
                                       int64_t batch_size) override {
    if (batch_size < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "evaluation batch_size is ", batch_size, "; it must be at least 1"));
    }
    FEDGE_RETURN_IF_ERROR(
        CheckDatasetFitsModel(spec_, data, "evaluation data"));
    FEDGE_RETURN_IF_ERROR(LoadState(state, *model_));
    const size_t n = data.labels.size();
    const size_t capacity = std::min(static_cast<size_t>(batch_size), n);
    double loss_sum = 0;
    int64_t correct = 0;
    try {
      torch::NoGradGuard no_grad;
      model_->SetTraining(false);
      BatchBuffer batch(static_cast<int64_t>(capacity), spec_.input_shape);
      for (size_t first = 0; first < n; first += capacity) {
        batch.GatherRange(data, first, std::min(capacity, n - first));
        torch::Tensor labels = batch.labels();
        torch::Tensor logits = model_->Forward(batch.features());
        // Summed per batch, so that the mean weighs every example equally
        // whatever the batch sizes.
        loss_sum +=
            torch::nn::functional::cross_entropy(
                logits, labels,
                torch::nn::functional::CrossEntropyFuncOptions().reduction(
                    torch::kSum))
                .item<double>();
        correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
      }
    } catch (const std::exception& e) {
      return StatusFromException(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat("evaluating the ", spec_.kind, " model"), e);
    }
    EvalMetrics metrics;
    metrics.num_examples = n;
    metrics.loss = loss_sum / static_cast<double>(n);
    metrics.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    return metrics;
  }

 private:
  const ModelSpec spec_;
  const std::unique_ptr<Model> model_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Evaluator>> Evaluator::Create(
    const ModelSpec& spec) {
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, CreateModel(spec));
  return std::make_unique<TorchEvaluator>(spec, std::move(model));
}

}  // namespace fedge::models
