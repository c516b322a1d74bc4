#include "common/data/dataset.h"

#include <algorithm>
#include <cassert>

namespace fedge::data {

size_t Dataset::example_size() const {
  size_t n = 1;
  for (int64_t d : example_shape) n *= static_cast<size_t>(d);
  return n;
}

absl::Span<const float> Dataset::example(size_t i) const {
  const size_t n = example_size();
  assert(i < size() && (i + 1) * n <= features.size());
  return absl::MakeConstSpan(features.data() + i * n, n);
}

Dataset Dataset::Subset(absl::Span<const size_t> indices) const {
  Dataset out;
  out.example_shape = example_shape;
  out.num_classes = num_classes;
  const size_t n = example_size();
  out.features.resize(indices.size() * n);
  out.labels.reserve(indices.size());
  float* dst = out.features.data();
  for (size_t i : indices) {
    absl::Span<const float> src = example(i);
    std::copy(src.begin(), src.end(), dst);
    dst += n;
    out.labels.push_back(labels[i]);
  }
  return out;
}

std::vector<size_t> Dataset::LabelCounts() const {
  std::vector<size_t> counts(num_classes > 0 ? num_classes : 0, 0);
  for (int64_t label : labels) {
    // Readers guarantee labels in range; a hand-built set may not, and a
    // count must not write out of bounds.
    if (label >= 0 && label < num_classes) ++counts[label];
  }
  return counts;
}

size_t Dataset::ByteSize() const {
  return features.size() * sizeof(float) + labels.size() * sizeof(int64_t);
}

}  // namespace fedge::data
