#include "common/tensor/parameter_set.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fedge::tensor {
namespace {

// Computes per-entry offsets and the total; fails on bad shapes.
absl::StatusOr<std::vector<size_t>> Offsets(
    const std::vector<TensorSpec>& specs, size_t* total) {
  std::vector<size_t> offsets;
  offsets.reserve(specs.size());
  int64_t sum = 0;
  for (const TensorSpec& spec : specs) {
    int64_t n = 1;
    for (int64_t d : spec.shape) {
      if (d < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor ", spec.DebugString(), " has a negative dimension"));
      }
      if (d > 0 && n > ParameterSet::kMaxElements / d) {
        return absl::InvalidArgumentError(
            absl::StrCat("tensor ", spec.DebugString(), " is too large"));
      }
      n *= d;
    }
    offsets.push_back(static_cast<size_t>(sum));
    sum += n;
    if (sum > ParameterSet::kMaxElements) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter set exceeds ", ParameterSet::kMaxElements, " elements"));
    }
  }
  *total = static_cast<size_t>(sum);
  return offsets;
}

}  // namespace

int64_t TensorSpec::NumElements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorSpec::DebugString() const {
  return absl::StrCat(name, "[", absl::StrJoin(shape, ","), "]");
}

absl::StatusOr<ParameterSet> ParameterSet::Zeros(
    std::vector<TensorSpec> specs) {
  size_t total = 0;
  auto offsets = Offsets(specs, &total);
  if (!offsets.ok()) return offsets.status();
  return ParameterSet(std::move(specs), std::move(*offsets),
                      std::vector<float>(total, 0.0f));
}

absl::StatusOr<ParameterSet> ParameterSet::FromValues(
    std::vector<TensorSpec> specs, std::vector<float> values) {
  size_t total = 0;
  auto offsets = Offsets(specs, &total);
  if (!offsets.ok()) return offsets.status();
  if (values.size() != total) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter set has ", values.size(),
                     " values but its specs describe ", total));
  }
  return ParameterSet(std::move(specs), std::move(*offsets), std::move(values));
}

absl::Span<const float> ParameterSetView::tensor(size_t i) const {
  size_t offset = 0;
  for (size_t t = 0; t < i; ++t) {
    offset += static_cast<size_t>(specs[t].NumElements());
  }
  return values.subspan(offset, static_cast<size_t>(specs[i].NumElements()));
}

absl::Span<const float> ParameterSet::tensor(size_t i) const {
  size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : values_.size();
  return absl::MakeConstSpan(values_).subspan(offsets_[i], end - offsets_[i]);
}

absl::Span<float> ParameterSet::mutable_tensor(size_t i) {
  size_t end = i + 1 < offsets_.size() ? offsets_[i + 1] : values_.size();
  return absl::MakeSpan(values_).subspan(offsets_[i], end - offsets_[i]);
}

absl::Status CheckSameLayout(const std::vector<TensorSpec>& expected,
                             const std::vector<TensorSpec>& got) {
  size_t n = std::min(expected.size(), got.size());
  for (size_t i = 0; i < n; ++i) {
    if (expected[i] != got[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", i, " is ", got[i].DebugString(),
                       ", expected ", expected[i].DebugString()));
    }
  }
  if (expected.size() != got.size()) {
    return absl::InvalidArgumentError(absl::StrCat("update has ", got.size(),
                                                   " tensors, the model has ",
                                                   expected.size()));
  }
  return absl::OkStatus();
}

}  // namespace fedge::tensor
