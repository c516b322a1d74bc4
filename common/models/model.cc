// CreateModel and the conversions between a model's state and a
// tensor::ParameterSet; also InitialState (initial_state.h), which is
// CreateModel followed by ExtractState and would otherwise cost one more
// translation unit that includes LibTorch.

#include "common/models/model.h"

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/models/builtin_models.h"
#include "common/models/data_check.h"
#include "common/models/initial_state.h"
#include "common/models/torch_status.h"
#include "common/models/torchscript_model.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::models {
namespace {

// Inputs larger than this (elements per example) are surely a config error.
constexpr int64_t kMaxInputElements = int64_t{1} << 28;

absl::Status CheckSpec(const ModelSpec& spec) {
  if (spec.input_shape.empty()) {
    return absl::InvalidArgumentError(
        "model input_shape is empty; give the shape of one example, e.g. "
        "[1, 28, 28]");
  }
  int64_t elements = 1;
  for (int64_t d : spec.input_shape) {
    if (d < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("model input_shape ", ShapeString(spec.input_shape),
                       " has a dimension below 1"));
    }
    if (d > kMaxInputElements / elements) {
      return absl::InvalidArgumentError(
          absl::StrCat("model input_shape ", ShapeString(spec.input_shape),
                       " has more than ", kMaxInputElements, " elements"));
    }
    elements *= d;
  }
  if (spec.num_classes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model num_classes is ", spec.num_classes, "; it must be at least 1"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> CreateModel(const ModelSpec& spec) {
  FEDGE_RETURN_IF_ERROR(CheckSpec(spec));
  std::unique_ptr<Model> model;
  if (IsBuiltinKind(spec.kind)) {
    FEDGE_ASSIGN_OR_RETURN(model, CreateBuiltinModel(spec));
  } else if (spec.kind == "torchscript") {
    FEDGE_ASSIGN_OR_RETURN(model, LoadTorchScriptModel(spec));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown model kind \"", spec.kind,
                     "\"; expected mlp, cnn or torchscript"));
  }
  // A state that a ParameterSet cannot hold is refused here, so that
  // ExtractState cannot fail later.
  int64_t elements = 0;
  for (const tensor::TensorSpec& s : StateSpecs(*model)) {
    elements += s.NumElements();
  }
  if (elements > tensor::ParameterSet::kMaxElements) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", spec.kind, " model has ", elements,
                     " state elements; fedge carries at most ",
                     tensor::ParameterSet::kMaxElements));
  }
  return model;
}

std::vector<tensor::TensorSpec> StateSpecs(Model& model) {
  std::vector<tensor::TensorSpec> specs;
  for (const auto& [name, t] : model.NamedState()) {
    specs.push_back({name, t.sizes().vec()});
  }
  return specs;
}

tensor::ParameterSet ExtractState(Model& model) {
  try {
    std::vector<std::pair<std::string, torch::Tensor>> named =
        model.NamedState();
    std::vector<tensor::TensorSpec> specs;
    specs.reserve(named.size());
    size_t total = 0;
    for (const auto& [name, t] : named) {
      specs.push_back({name, t.sizes().vec()});
      total += static_cast<size_t>(t.numel());
    }
    std::vector<float> values(total);
    size_t offset = 0;
    for (const auto& [name, t] : named) {
      // A no-op for float32 contiguous tensors, a converted copy otherwise.
      torch::Tensor source = t.detach().to(torch::kFloat).contiguous();
      const size_t n = static_cast<size_t>(source.numel());
      if (n > 0) {
        std::memcpy(values.data() + offset, source.data_ptr<float>(),
                    n * sizeof(float));
      }
      offset += n;
    }
    absl::StatusOr<tensor::ParameterSet> state =
        tensor::ParameterSet::FromValues(std::move(specs), std::move(values));
    if (state.ok()) return *std::move(state);
    FEDGE_LOG(Error, "models") << "ExtractState: " << state.status();
  } catch (const std::exception& e) {
    FEDGE_LOG(Error, "models")
        << StatusFromException(absl::StatusCode::kInternal, "ExtractState", e);
  }
  return tensor::ParameterSet();
}

absl::Status LoadState(const tensor::ParameterSet& state, Model& model) {
  absl::Status layout =
      tensor::CheckSameLayout(StateSpecs(model), state.specs());
  if (!layout.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the state does not fit the model: ", layout.message()));
  }
  try {
    torch::NoGradGuard no_grad;
    std::vector<std::pair<std::string, torch::Tensor>> named =
        model.NamedState();
    for (size_t i = 0; i < named.size(); ++i) {
      torch::Tensor& target = named[i].second;
      absl::Span<const float> values = state.tensor(i);
      // from_blob does not copy; the tensor is only read.
      torch::Tensor source = torch::from_blob(const_cast<float*>(values.data()),
                                              target.sizes(), torch::kFloat);
      if (target.is_floating_point()) {
        target.copy_(source);
      } else {
        target.copy_(source.round());
      }
    }
  } catch (const std::exception& e) {
    return StatusFromException(absl::StatusCode::kInternal,
                               "copying the state into the model", e);
  }
  return absl::OkStatus();
}

absl::StatusOr<tensor::ParameterSet> InitialState(const ModelSpec& spec) {
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, CreateModel(spec));
  return ExtractState(*model);
}

}  // namespace fedge::models
