#include "server/strategy/fedavg.h"

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace fedge::server {

FedAvgAccumulator::FedAvgAccumulator(std::vector<tensor::TensorSpec> layout)
    : layout_(std::move(layout)) {
  size_t n = 0;
  for (const auto& spec : layout_) n += static_cast<size_t>(spec.NumElements());
  sum_.assign(n, 0.0);
}

absl::Status FedAvgAccumulator::Add(const tensor::ParameterSetView& delta,
                                    uint64_t weight) {
  FEDGE_RETURN_IF_ERROR(tensor::CheckSameLayout(layout_, delta.specs));
  if (weight == 0) {
    return absl::InvalidArgumentError(
        "an update must carry a positive example count");
  }
  const double w = static_cast<double>(weight);
  absl::Span<const float> d = delta.values;
  for (size_t i = 0; i < sum_.size(); ++i) sum_[i] += w * d[i];
  total_weight_ += weight;
  ++num_updates_;
  return absl::OkStatus();
}

absl::StatusOr<tensor::ParameterSet> FedAvgAccumulator::Apply(
    const tensor::ParameterSet& global) const {
  FEDGE_RETURN_IF_ERROR(tensor::CheckSameLayout(layout_, global.specs()));
  if (total_weight_ == 0) {
    return absl::FailedPreconditionError("no update to average");
  }
  tensor::ParameterSet next = global;
  absl::Span<float> out = next.mutable_values();
  const double inv = 1.0 / static_cast<double>(total_weight_);
  for (size_t i = 0; i < sum_.size(); ++i) {
    out[i] = static_cast<float>(static_cast<double>(out[i]) + sum_[i] * inv);
  }
  return next;
}

}  // namespace fedge::server
