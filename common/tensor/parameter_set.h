#ifndef FEDGE_COMMON_TENSOR_PARAMETER_SET_H_
#define FEDGE_COMMON_TENSOR_PARAMETER_SET_H_

// A model's federated state (parameters and buffers) as one flat float32
// vector plus the name and shape of each entry. This is what travels between
// server and clients and what strategies compute on; it does not depend on
// LibTorch (common/models converts to and from torch modules).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fedge::tensor {

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;

  // Product of the shape (1 for a scalar).
  int64_t NumElements() const;
  // "conv1.weight[16,1,5,5]"
  std::string DebugString() const;

  friend bool operator==(const TensorSpec& a, const TensorSpec& b) {
    return a.name == b.name && a.shape == b.shape;
  }
  friend bool operator!=(const TensorSpec& a, const TensorSpec& b) {
    return !(a == b);
  }
};

class ParameterSet;

// A read-only parameter set whose values live elsewhere (typically in the
// buffer a serialized set arrived in), so a large update is checked and
// aggregated without being copied. Valid while that storage is.
struct ParameterSetView {
  std::vector<TensorSpec> specs;
  absl::Span<const float> values;

  // The values of entry `i` (computed from the shapes; O(i)).
  absl::Span<const float> tensor(size_t i) const;
  size_t num_tensors() const { return specs.size(); }
};

class ParameterSet {
 public:
  ParameterSet() = default;

  // Zero-filled values for `specs`. Fails on a negative dimension or a total
  // beyond `kMaxElements`.
  static absl::StatusOr<ParameterSet> Zeros(std::vector<TensorSpec> specs);

  // Takes `values` for `specs`; their sizes must agree.
  static absl::StatusOr<ParameterSet> FromValues(std::vector<TensorSpec> specs,
                                                 std::vector<float> values);

  const std::vector<TensorSpec>& specs() const { return specs_; }
  size_t num_tensors() const { return specs_.size(); }
  size_t num_elements() const { return values_.size(); }
  size_t num_bytes() const { return values_.size() * sizeof(float); }

  absl::Span<const float> values() const { return values_; }
  absl::Span<float> mutable_values() { return absl::MakeSpan(values_); }

  // The values of entry `i`.
  absl::Span<const float> tensor(size_t i) const;
  absl::Span<float> mutable_tensor(size_t i);

  // A view of this set (valid while it is unchanged and alive).
  ParameterSetView view() const { return {specs_, values_}; }

  // True if `other` has the same specs in the same order.
  bool SameLayout(const ParameterSet& other) const {
    return specs_ == other.specs_;
  }

  // Upper bound on elements (1 Gi floats = 4 GiB) so that a hostile header
  // cannot make us allocate without limit.
  static constexpr int64_t kMaxElements = int64_t{1} << 30;

 private:
  ParameterSet(std::vector<TensorSpec> specs, std::vector<size_t> offsets,
               std::vector<float> values)
      : specs_(std::move(specs)),
        offsets_(std::move(offsets)),
        values_(std::move(values)) {}

  std::vector<TensorSpec> specs_;
  std::vector<size_t> offsets_;  // offsets_[i]: first element of entry i
  std::vector<float> values_;
};

// OK if `got` has exactly the layout `expected`; otherwise InvalidArgument
// naming the first difference ("tensor 2 is fc1.weight[10,20], expected
// fc1.weight[10,784]").
absl::Status CheckSameLayout(const std::vector<TensorSpec>& expected,
                             const std::vector<TensorSpec>& got);

}  // namespace fedge::tensor

#endif  // FEDGE_COMMON_TENSOR_PARAMETER_SET_H_
