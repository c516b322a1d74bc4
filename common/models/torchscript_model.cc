#include "common/models/torchscript_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/models/data_check.h"
#include "common/models/model.h"
#include "common/models/torch_status.h"

namespace fedge::models {
namespace {

class TorchScriptModel : public Model {
 public:
  explicit TorchScriptModel(torch::jit::Module module)
      : module_(std::move(module)) {}

  torch::Tensor Forward(const torch::Tensor& input) override {
    std::vector<torch::jit::IValue> inputs{input};
    return module_.forward(std::move(inputs)).toTensor();
  }

  std::vector<torch::Tensor> TrainableParameters() override {
    std::vector<torch::Tensor> trainable;
    for (const torch::Tensor& p : module_.parameters(/*recurse=*/true)) {
      if (p.requires_grad()) trainable.push_back(p);
    }
    return trainable;
  }

  void SetTraining(bool training) override { module_.train(training); }

  std::vector<std::pair<std::string, torch::Tensor>> NamedState() override {
    std::vector<std::pair<std::string, torch::Tensor>> state;
    for (const auto& item : module_.named_parameters(/*recurse=*/true)) {
      state.emplace_back(item.name, item.value);
    }
    for (const auto& item : module_.named_buffers(/*recurse=*/true)) {
      state.emplace_back(item.name, item.value);
    }
    return state;
  }

 private:
  torch::jit::Module module_;
};

std::string SizesString(const torch::Tensor& t) {
  return ShapeString(t.sizes().vec());
}

// The state must be plain dense CPU tensors of a real or integer type to be
// carried as float32.
absl::Status CheckStateTensors(Model& model, const std::string& path) {
  for (const auto& [name, t] : model.NamedState()) {
    const bool convertible =
        t.layout() == torch::kStrided && t.device().is_cpu() &&
        !t.is_quantized() && !t.is_complex() &&
        (t.is_floating_point() ||
         c10::isIntegralType(t.scalar_type(), /*includeBool=*/true));
    if (!convertible) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TorchScript model ", path, ": state tensor ", name, " has type ",
          t.toString(),
          "; fedge carries only dense CPU real or integer tensors"));
    }
  }
  return absl::OkStatus();
}

// Runs forward on a zero batch of one example and checks the logits' shape.
absl::Status CheckForward(Model& model, const ModelSpec& spec) {
  std::vector<int64_t> batch_shape{1};
  batch_shape.insert(batch_shape.end(), spec.input_shape.begin(),
                     spec.input_shape.end());
  const std::string signature = absl::StrCat(
      "forward(x) must take a float32 tensor [batch, input_shape...] (here ",
      ShapeString(batch_shape),
      ") and return float logits [batch, num_classes]", " (here [1, ",
      spec.num_classes, "])");
  torch::Tensor output;
  try {
    torch::NoGradGuard no_grad;
    model.SetTraining(false);
    output = model.Forward(torch::zeros(batch_shape, torch::kFloat));
  } catch (const std::exception& e) {
    return StatusFromException(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("TorchScript model ", spec.torchscript_path,
                     " failed on a zero input of shape ",
                     ShapeString(batch_shape), "; ", signature),
        e);
  }
  if (output.dim() != 2 || output.size(0) != 1 ||
      output.size(1) != spec.num_classes || !output.is_floating_point()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TorchScript model ", spec.torchscript_path, " returned ",
                     output.toString(), " of shape ", SizesString(output),
                     " for input ", ShapeString(batch_shape), "; ", signature,
                     ". Check the model's input_shape and num_classes."));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> LoadTorchScriptModel(
    const ModelSpec& spec) {
  const std::string& path = spec.torchscript_path;
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "model kind torchscript needs torchscript_path (a file saved with "
        "torch.jit.save)");
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat(
        "TorchScript file ", path,
        " not found (or not a regular file); check torchscript_path"));
  }
  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<TorchScriptModel>(
        torch::jit::load(path, torch::Device(torch::kCPU)));
  } catch (const std::exception& e) {
    return StatusFromException(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("cannot load ", path,
                     " as TorchScript (save it with torch.jit.save)"),
        e);
  }
  try {
    absl::Status status = CheckStateTensors(*model, path);
    if (!status.ok()) return status;
  } catch (const std::exception& e) {
    return StatusFromException(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("reading the state of TorchScript model ", path), e);
  }
  absl::Status status = CheckForward(*model, spec);
  if (!status.ok()) return status;
  return model;
}

}  // namespace fedge::models
