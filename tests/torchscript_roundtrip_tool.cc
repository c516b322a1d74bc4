// The C++ half of tests/python/torchscript_roundtrip_test.py: plays one
// federated round of a TorchScript model the way fedge does it and writes
// the global model back as TorchScript.
//
//   torchscript_roundtrip_tool MODEL.pt INPUT_SHAPE NUM_CLASSES INPUTS.f32
//                              BATCH OUT.pt LOGITS.f32
//
// INPUT_SHAPE is one example's shape, e.g. "3x8x8"; INPUTS.f32 holds BATCH
// examples as raw float32 (native byte order). The tool
//   1. loads MODEL.pt through fedge's model code (CreateModel),
//   2. trains it two SGD steps on cross-entropy in training mode on the
//      inputs with labels i % NUM_CLASSES (so parameters AND batch norm
//      buffers change), as a client's local training would,
//   3. takes the resulting federated state (ExtractState) as the "global
//      model" and writes it to OUT.pt with ExportTorchScript,
//   4. loads that state into a fresh model built from MODEL.pt (LoadState),
//      as a client or the evaluator does, and writes its eval-mode logits
//      for the inputs to LOGITS.f32 (raw float32, BATCH × NUM_CLASSES).
// It prints the names of the federated state's tensors, one a line.

#include <torch/torch.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/models/model.h"
#include "common/models/model_spec.h"
#include "common/models/torchscript_export.h"
#include "common/tensor/parameter_set.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge {
namespace {

absl::StatusOr<int64_t> ParsePositive(absl::string_view text,
                                      absl::string_view what) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a positive integer, got \"", text, "\""));
  }
  return value;
}

absl::Status Run(int argc, char** argv) {
  if (argc != 8) {
    return absl::InvalidArgumentError(
        "usage: torchscript_roundtrip_tool MODEL.pt INPUT_SHAPE NUM_CLASSES "
        "INPUTS.f32 BATCH OUT.pt LOGITS.f32");
  }
  models::ModelSpec spec;
  spec.kind = "torchscript";
  spec.torchscript_path = argv[1];
  spec.input_shape.clear();
  for (absl::string_view d : absl::StrSplit(argv[2], 'x')) {
    FEDGE_ASSIGN_OR_RETURN(int64_t dim, ParsePositive(d, "INPUT_SHAPE"));
    spec.input_shape.push_back(dim);
  }
  FEDGE_ASSIGN_OR_RETURN(spec.num_classes,
                         ParsePositive(argv[3], "NUM_CLASSES"));
  FEDGE_ASSIGN_OR_RETURN(const int64_t batch, ParsePositive(argv[5], "BATCH"));
  const std::string out_path = argv[6];
  const std::string logits_path = argv[7];

  std::vector<int64_t> batch_shape{batch};
  batch_shape.insert(batch_shape.end(), spec.input_shape.begin(),
                     spec.input_shape.end());
  FEDGE_ASSIGN_OR_RETURN(std::string raw, util::ReadFile(argv[4]));
  const torch::Tensor inputs =
      torch::empty(batch_shape, torch::kFloat).contiguous();
  if (raw.size() != static_cast<size_t>(inputs.numel()) * sizeof(float)) {
    return absl::InvalidArgumentError(absl::StrCat(
        argv[4], " has ", raw.size(), " bytes; expected ",
        inputs.numel() * sizeof(float), " (float32 inputs for the batch)"));
  }
  std::memcpy(inputs.data_ptr<float>(), raw.data(), raw.size());
  const torch::Tensor labels =
      torch::arange(batch, torch::kLong).remainder(spec.num_classes);

  // 1–2: local training, as a client does it.
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<models::Model> trained,
                         models::CreateModel(spec));
  trained->SetTraining(true);
  torch::optim::SGD optimizer(trained->TrainableParameters(),
                              torch::optim::SGDOptions(0.1));
  for (int step = 0; step < 2; ++step) {
    optimizer.zero_grad();
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(trained->Forward(inputs), labels);
    loss.backward();
    optimizer.step();
  }
  // 3: the global model, written back.
  const tensor::ParameterSet state = models::ExtractState(*trained);
  if (state.num_tensors() == 0) {
    return absl::InternalError("the trained model's state is empty");
  }
  for (const tensor::TensorSpec& s : state.specs()) {
    std::cout << s.DebugString() << "\n";
  }
  FEDGE_RETURN_IF_ERROR(models::ExportTorchScript(spec, state, out_path));

  // 4: fedge's predictions with the global model.
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<models::Model> global,
                         models::CreateModel(spec));
  FEDGE_RETURN_IF_ERROR(models::LoadState(state, *global));
  global->SetTraining(false);
  torch::NoGradGuard no_grad;
  const torch::Tensor logits =
      global->Forward(inputs).to(torch::kFloat).contiguous();
  if (logits.dim() != 2 || logits.size(0) != batch ||
      logits.size(1) != spec.num_classes) {
    return absl::InternalError("forward returned logits of a wrong shape");
  }
  return util::WriteFileAtomically(
      logits_path,
      std::string(reinterpret_cast<const char*>(logits.data_ptr<float>()),
                  static_cast<size_t>(logits.numel()) * sizeof(float)));
}

}  // namespace
}  // namespace fedge

int main(int argc, char** argv) {
  absl::Status status;
  try {
    status = fedge::Run(argc, argv);
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("LibTorch: ", e.what()));
  }
  if (!status.ok()) {
    std::cerr << "torchscript_roundtrip_tool: " << status << "\n";
    return 1;
  }
  return 0;
}
