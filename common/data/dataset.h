#ifndef FEDGE_COMMON_DATA_DATASET_H_
#define FEDGE_COMMON_DATA_DATASET_H_

// A labelled data set held in memory on the device that owns it. Nothing in
// fedge sends a Dataset anywhere: it is read here and consumed by the local
// trainer and evaluator.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace fedge::data {

struct Dataset {
  // Shape of one example, e.g. {1, 28, 28} for Fashion-MNIST.
  std::vector<int64_t> example_shape;
  // num_examples × example_size values, row-major, one example after another.
  std::vector<float> features;
  // One class index in [0, num_classes) per example.
  std::vector<int64_t> labels;
  int64_t num_classes = 0;

  size_t size() const { return labels.size(); }
  // Product of example_shape.
  size_t example_size() const;
  // The features of example i.
  absl::Span<const float> example(size_t i) const;
  // A new data set with the given examples, in the given order.
  Dataset Subset(absl::Span<const size_t> indices) const;
  // Number of examples of each class (num_classes entries).
  std::vector<size_t> LabelCounts() const;
  // Bytes of feature and label data held (for the data-minimisation report).
  size_t ByteSize() const;
};

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_DATASET_H_
