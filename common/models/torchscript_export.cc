#include "common/models/torchscript_export.h"

// torch/script.h (no torch/torch.h): loading, editing and saving a
// torch::jit::Module needs nothing from the C++ frontend.
#include <torch/script.h>

#include <exception>
#include <filesystem>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "common/models/torch_status.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::models {
namespace {

// The federated state of a TorchScript module, in the order of
// TorchScriptModel::NamedState (torchscript_model.cc): parameters, then
// buffers, both recursive.
std::vector<std::pair<std::string, at::Tensor>> NamedState(
    const torch::jit::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> state;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    state.emplace_back(item.name, item.value);
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    state.emplace_back(item.name, item.value);
  }
  return state;
}

std::string ParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Loads the file, overwrites its state with `state` and returns the saved
// archive's bytes. May throw (LibTorch); the caller catches.
absl::StatusOr<std::string> ExportBytes(const std::string& source,
                                        const tensor::ParameterSet& state) {
  torch::jit::Module module = torch::jit::load(source, at::Device(at::kCPU));
  std::vector<std::pair<std::string, at::Tensor>> named = NamedState(module);
  std::vector<tensor::TensorSpec> specs;
  specs.reserve(named.size());
  for (const auto& [name, t] : named) specs.push_back({name, t.sizes().vec()});
  absl::Status layout = tensor::CheckSameLayout(specs, state.specs());
  if (!layout.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the state does not fit the TorchScript model ", source,
                     ": ", layout.message()));
  }
  {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < named.size(); ++i) {
      at::Tensor& target = named[i].second;
      absl::Span<const float> values = state.tensor(i);
      // from_blob does not copy; the tensor is only read.
      at::Tensor from = at::from_blob(const_cast<float*>(values.data()),
                                      target.sizes(), at::kFloat);
      // copy_ converts to the target's dtype; integer buffers are rounded
      // first so that 11.75 becomes 12, not 11 (as LoadState in model.cc).
      target.copy_(target.is_floating_point() ? from : from.round());
    }
  }
  std::ostringstream out;
  module.save(out);
  return std::move(out).str();
}

}  // namespace

std::string TorchScriptExportRelativePath(uint64_t round) {
  return absl::StrFormat("models/round-%06d.pt", round);
}

absl::Status ExportTorchScript(const ModelSpec& spec,
                               const tensor::ParameterSet& state,
                               const std::string& path) {
  if (spec.kind != "torchscript") {
    return absl::UnimplementedError(absl::StrCat(
        "only TorchScript models are written back as TorchScript; the model "
        "kind is \"",
        spec.kind,
        "\" (its state is in the run's checkpoints/round-NNNNNN.fedge)"));
  }
  const std::string& source = spec.torchscript_path;
  std::error_code error;
  if (source.empty() || !std::filesystem::is_regular_file(source, error)) {
    return absl::NotFoundError(absl::StrCat(
        "TorchScript file \"", source,
        "\" not found (or not a regular file); it is needed to write the "
        "global model back to ",
        path));
  }
  std::string bytes;
  try {
    FEDGE_ASSIGN_OR_RETURN(bytes, ExportBytes(source, state));
  } catch (const std::exception& e) {
    return StatusFromException(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("writing the state into TorchScript model ", source), e);
  }
  const std::string dir = ParentDirectory(path);
  if (!dir.empty()) FEDGE_RETURN_IF_ERROR(util::MakeDirectories(dir));
  return util::WriteFileAtomically(path, bytes);
}

}  // namespace fedge::models
