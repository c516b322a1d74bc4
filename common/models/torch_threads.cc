#include "common/models/torch_threads.h"

// ATen/Parallel.h is light, unlike torch/torch.h.
#include <ATen/Parallel.h>

namespace fedge::models {

void SetTorchThreads(int num_threads) {
  // at::set_num_threads throws on values below 1.
  at::set_num_threads(num_threads < 1 ? 1 : num_threads);
}

int TorchThreads() { return at::get_num_threads(); }

}  // namespace fedge::models
