#include "server/strategy/fedavg.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace fedge::server {

FedAvgAccumulator::FedAvgAccumulator(std::vector<tensor::TensorSpec> layout)
    : layout_(std::move(layout)) {
  size_t n = 0;
  for (const auto& spec : layout_) n += static_cast<size_t>(spec.NumElements());
  sum_.assign(n, 0);
}

absl::Status FedAvgAccumulator::Add(const tensor::ParameterSetView& delta,
                                    uint64_t weight) {
  FEDGE_RETURN_IF_ERROR(tensor::CheckSameLayout(layout_, delta.specs));
  if (weight == 0) {
    return absl::InvalidArgumentError(
        "an update must carry a positive example count");
  }
  // w · delta is computed the same way for each term (exactly, for weights
  // below 2^29); scaled by 2^48 and truncated it is an integer, and integer
  // sums do not depend on their order.
  const double w = static_cast<double>(weight);
  absl::Span<const float> d = delta.values;
  constexpr double kScale = 0x1.0p48;
  constexpr double kLimit = 0x1.0p78;
  for (float x : d) {
    if (!(std::abs(w * x) < kLimit)) {
      return absl::InvalidArgumentError(
          "an update value is too large to aggregate (|weight × value| must "
          "stay below 2^78)");
    }
  }
  for (size_t i = 0; i < sum_.size(); ++i) {
    sum_[i] += static_cast<__int128>(w * static_cast<double>(d[i]) * kScale);
  }
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
  const long double scale =
      1.0L / (static_cast<long double>(total_weight_) * 0x1.0p48L);
  for (size_t i = 0; i < sum_.size(); ++i) {
    const long double mean = static_cast<long double>(sum_[i]) * scale;
    out[i] = static_cast<float>(static_cast<long double>(out[i]) + mean);
  }
  return next;
}

}  // namespace fedge::server
