#ifndef FEDGE_COMMON_MODELS_TORCHSCRIPT_EXPORT_H_
#define FEDGE_COMMON_MODELS_TORCHSCRIPT_EXPORT_H_

// Writes a federated state back as a TorchScript file that PyTorch loads with
// torch.jit.load. No LibTorch in this header, so the server may call it.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"

namespace fedge::models {

// Where a run keeps the TorchScript export of the global model of `round`,
// relative to the run directory: "models/round-000042.pt".
std::string TorchScriptExportRelativePath(uint64_t round);

// Loads the TorchScript file spec.torchscript_path, copies `state` into its
// parameters and buffers, and saves the module to `path` (creating its
// directory if missing) atomically: the bytes go to a temporary file in the
// same directory, which is fsynced and renamed over `path`. The saved module
// is the original one (code, attributes, training flag) with the new values;
// each tensor keeps its dtype (an integer buffer such as batch norm's
// num_batches_tracked is rounded back from float32, as LoadState does).
//
// `state` must have the layout of the file's federated state (parameters,
// then buffers, recursive, fully dotted names; see torchscript_model.h):
// InvalidArgument naming the first mismatching tensor otherwise.
// Unimplemented for built-in kinds (mlp, cnn): they have no TorchScript
// source to write back into. NotFound / InvalidArgument if the file is missing
// or not TorchScript; the error of the write otherwise. On any error `path`
// is unchanged. Never throws.
absl::Status ExportTorchScript(const ModelSpec& spec,
                               const tensor::ParameterSet& state,
                               const std::string& path);

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_TORCHSCRIPT_EXPORT_H_
