// CreateLocalTrainer (trainer.h): SGD on cross-entropy with LibTorch.

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "client/trainer.h"
#include "common/models/batching.h"
#include "common/models/data_check.h"
#include "common/models/model.h"
#include "common/models/torch_status.h"
#include "common/util/status_macros.h"

namespace fedge::client {
namespace {

constexpr char kDataWhat[] = "training data";

// A uniform integer in [0, bound), bound ≥ 1, by rejection: the same numbers
// on every platform, unlike std::uniform_int_distribution.
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % bound;
}

// Fisher–Yates on the first `count` positions: afterwards they hold a
// uniformly random selection, in random order.
void ShuffleFirst(std::vector<size_t>& items, size_t count,
                  std::mt19937_64& rng) {
  for (size_t i = 0; i < count && i + 1 < items.size(); ++i) {
    const size_t j = i + UniformBelow(rng, items.size() - i);
    std::swap(items[i], items[j]);
  }
}

absl::Status CheckOptions(const TrainOptions& options) {
  if (options.local_epochs < 1) {
    return absl::InvalidArgumentError(
        "local_epochs is 0; train for at least one epoch");
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError("batch_size is 0; it must be at least 1");
  }
  if (!(options.learning_rate > 0) || !std::isfinite(options.learning_rate)) {
    return absl::InvalidArgumentError(
        absl::StrCat("learning_rate is ", options.learning_rate,
                     "; it must be a positive number"));
  }
  if (!(options.momentum >= 0 && options.momentum < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "momentum is ", options.momentum, "; it must be in [0, 1)"));
  }
  if (!(options.weight_decay >= 0) || !std::isfinite(options.weight_decay)) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight_decay is ", options.weight_decay,
                     "; it must be a non-negative number"));
  }
  if (!(options.proximal_mu >= 0) || !std::isfinite(options.proximal_mu)) {
    return absl::InvalidArgumentError(
        absl::StrCat("proximal_mu is ", options.proximal_mu,
                     "; it must be a non-negative number"));
  }
  return absl::OkStatus();
}

// TorchScript modules may use randomness (dropout) that LibTorch draws from
// its process-wide generator; seeding it is the only way to make them
// reproducible. Built-in models draw nothing while training.
absl::Mutex global_seed_mu;
void SeedGlobalGenerator(uint64_t seed) {
  absl::MutexLock lock(&global_seed_mu);
  torch::manual_seed(seed);
}

class LocalTrainer : public Trainer {
 public:
  LocalTrainer(models::ModelSpec spec, const data::Dataset* data,
               std::unique_ptr<models::Model> model)
      : spec_(std::move(spec)), data_(data), model_(std::move(model)) {}

  uint64_t num_examples() const override { return data_->size(); }

  absl::StatusOr<TrainResult> Train(const tensor::ParameterSet& global,
                                    const TrainOptions& options) override {
    const auto start = std::chrono::steady_clock::now();
    FEDGE_RETURN_IF_ERROR(CheckOptions(options));
    FEDGE_RETURN_IF_ERROR(
        models::CheckDatasetFitsModel(spec_, *data_, kDataWhat));
    FEDGE_RETURN_IF_ERROR(models::LoadState(global, *model_));

    std::mt19937_64 rng(options.seed);
    const size_t available = data_->size();
    size_t used = available;
    std::vector<size_t> order(available);
    for (size_t i = 0; i < available; ++i) order[i] = i;
    if (options.max_examples > 0 && options.max_examples < available) {
      used = static_cast<size_t>(options.max_examples);
      ShuffleFirst(order, used, rng);
      order.resize(used);
    }
    const size_t batch_size =
        std::min(static_cast<size_t>(options.batch_size), used);

    TrainResult result;
    try {
      if (!models::IsBuiltinKind(spec_.kind)) SeedGlobalGenerator(options.seed);
      model_->SetTraining(true);
      std::vector<torch::Tensor> parameters = model_->TrainableParameters();
      if (parameters.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the ", spec_.kind,
            " model has no trainable parameters (none requires grad)"));
      }
      // FedProx's anchor: the global weights the round started from.
      std::vector<torch::Tensor> anchor;
      if (options.proximal_mu > 0) {
        for (const torch::Tensor& p : parameters) {
          anchor.push_back(p.detach().clone());
        }
      }
      const std::vector<torch::Tensor> trainable = parameters;
      torch::optim::SGD optimizer(
          std::move(parameters), torch::optim::SGDOptions(options.learning_rate)
                                     .momentum(options.momentum)
                                     .weight_decay(options.weight_decay));
      models::BatchBuffer batch(static_cast<int64_t>(batch_size),
                                spec_.input_shape);
      double loss_sum = 0;
      int64_t correct = 0;
      for (uint32_t epoch = 0; epoch < options.local_epochs; ++epoch) {
        ShuffleFirst(order, order.size(), rng);
        loss_sum = 0;
        correct = 0;
        for (size_t first = 0; first < used; first += batch_size) {
          const size_t count = std::min(batch_size, used - first);
          batch.Gather(*data_,
                       absl::MakeConstSpan(order.data() + first, count));
          const torch::Tensor labels = batch.labels();
          optimizer.zero_grad();
          torch::Tensor logits = model_->Forward(batch.features());
          torch::Tensor loss =
              torch::nn::functional::cross_entropy(logits, labels);
          if (anchor.empty()) {
            loss.backward();
          } else {
            torch::Tensor proximal = torch::zeros({}, logits.options());
            for (size_t i = 0; i < anchor.size(); ++i) {
              proximal = proximal + (trainable[i] - anchor[i]).pow(2).sum();
            }
            // The reported loss stays the data loss; the proximal term
            // only shapes the gradient.
            (loss + 0.5 * options.proximal_mu * proximal).backward();
          }
          optimizer.step();
          // Mean loss times count: the epoch's mean weighs every example
          // equally.
          loss_sum += loss.item<double>() * static_cast<double>(count);
          correct += logits.detach().argmax(1).eq(labels).sum().item<int64_t>();
        }
      }
      result.loss = loss_sum / static_cast<double>(used);
      result.accuracy =
          static_cast<double>(correct) / static_cast<double>(used);
      model_->SetTraining(false);
    } catch (const std::exception& e) {
      return models::StatusFromException(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat("training the ", spec_.kind, " model"), e);
    }
    if (!std::isfinite(result.loss)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "training diverged: the mean loss of the last epoch is ", result.loss,
          "; lower the learning_rate (", options.learning_rate, ")"));
    }
    result.trained = models::ExtractState(*model_);
    if (result.trained.num_tensors() != global.num_tensors()) {
      return absl::InternalError("could not copy the trained state out");
    }
    result.num_examples = used;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return result;
  }

 private:
  const models::ModelSpec spec_;
  const data::Dataset* const data_;
  const std::unique_ptr<models::Model> model_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Trainer>> CreateLocalTrainer(
    const models::ModelSpec& spec, const data::Dataset* data) {
  if (data == nullptr) {
    return absl::InvalidArgumentError("the local trainer needs a data set");
  }
  FEDGE_RETURN_IF_ERROR(models::CheckDatasetFitsModel(spec, *data, kDataWhat));
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model,
                         models::CreateModel(spec));
  return std::make_unique<LocalTrainer>(spec, data, std::move(model));
}

}  // namespace fedge::client
