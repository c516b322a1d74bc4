#ifndef FEDGE_COMMON_MODELS_MODEL_SPEC_H_
#define FEDGE_COMMON_MODELS_MODEL_SPEC_H_

// Which model a federation trains. Plain data, no LibTorch, so that configs
// and the wire layer can carry it.

#include <cstdint>
#include <string>
#include <vector>

namespace fedge::models {

struct ModelSpec {
  // "mlp", "cnn" (built in) or "torchscript".
  std::string kind = "cnn";
  // TorchScript file saved with torch.jit.save (kind "torchscript" only).
  std::string torchscript_path;
  // Shape of one input example, without the batch dimension.
  std::vector<int64_t> input_shape = {1, 28, 28};
  int64_t num_classes = 10;
  // Seeds the initial weights of built-in models.
  uint64_t init_seed = 1;
};

// True for the kinds fedge constructs itself.
inline bool IsBuiltinKind(const std::string& kind) {
  return kind == "mlp" || kind == "cnn";
}

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_MODEL_SPEC_H_
