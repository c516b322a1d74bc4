#ifndef FEDGE_COMMON_MODELS_BATCHING_H_
#define FEDGE_COMMON_MODELS_BATCHING_H_

// Batches for training and evaluation, filled by copying from a
// data::Dataset into tensors allocated once per pass (no tensor per
// example). For fedge's LibTorch code only (evaluator, local trainer).

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/types/span.h"
#include "common/data/dataset.h"

namespace fedge::models {

class BatchBuffer {
 public:
  // Room for `capacity` examples of `example_shape`.
  BatchBuffer(int64_t capacity, const std::vector<int64_t>& example_shape)
      : example_size_(1) {
    std::vector<int64_t> shape{capacity};
    for (int64_t d : example_shape) {
      shape.push_back(d);
      example_size_ *= static_cast<size_t>(d);
    }
    features_ = torch::empty(shape, torch::kFloat);
    labels_ = torch::empty({capacity}, torch::kLong);
  }

  // Copies the examples `indices` of `data` (whose example_shape is the
  // buffer's) into the first indices.size() ≤ capacity rows.
  void Gather(const data::Dataset& data, absl::Span<const size_t> indices) {
    float* features = features_.data_ptr<float>();
    int64_t* labels = labels_.data_ptr<int64_t>();
    for (size_t row = 0; row < indices.size(); ++row) {
      std::memcpy(features + row * example_size_,
                  data.features.data() + indices[row] * example_size_,
                  example_size_ * sizeof(float));
      labels[row] = data.labels[indices[row]];
    }
    size_ = static_cast<int64_t>(indices.size());
  }

  // Copies the consecutive examples [first, first + count) of `data`.
  void GatherRange(const data::Dataset& data, size_t first, size_t count) {
    std::memcpy(features_.data_ptr<float>(),
                data.features.data() + first * example_size_,
                count * example_size_ * sizeof(float));
    std::memcpy(labels_.data_ptr<int64_t>(), data.labels.data() + first,
                count * sizeof(int64_t));
    size_ = static_cast<int64_t>(count);
  }

  // Views of the gathered rows (aliasing the buffer, valid until the next
  // Gather).
  torch::Tensor features() const { return features_.narrow(0, 0, size_); }
  torch::Tensor labels() const { return labels_.narrow(0, 0, size_); }
  int64_t size() const { return size_; }

 private:
  size_t example_size_;
  torch::Tensor features_;
  torch::Tensor labels_;
  int64_t size_ = 0;
};

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_BATCHING_H_
