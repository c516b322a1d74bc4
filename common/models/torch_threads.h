#ifndef FEDGE_COMMON_MODELS_TORCH_THREADS_H_
#define FEDGE_COMMON_MODELS_TORCH_THREADS_H_

// LibTorch's intra-op thread count, for callers (client and server mains,
// tests) that should not pay for including LibTorch's headers. No LibTorch in
// this header.

namespace fedge::models {

// Sets the number of threads LibTorch uses inside one operation, for the
// whole process. Training and evaluation never change it themselves. With one
// thread, training is bit-for-bit reproducible for a given seed.
// Values below 1 count as 1.
void SetTorchThreads(int num_threads);

// The current intra-op thread count.
int TorchThreads();

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_TORCH_THREADS_H_
