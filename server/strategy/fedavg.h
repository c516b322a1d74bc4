#ifndef FEDGE_SERVER_STRATEGY_FEDAVG_H_
#define FEDGE_SERVER_STRATEGY_FEDAVG_H_

// Federated averaging (McMahan et al., 2017) over weight deltas:
//
//   new_global = global + (sum_i w_i * delta_i) / (sum_i w_i)
//
// where delta_i = local_i - global and w_i is client i's example count
// (optionally capped). Updates are folded into one running sum as they
// arrive, so memory is O(model), not O(clients x model). The sum is exact
// fixed-point arithmetic (128-bit integers in units of 2^-48), so the result
// does not depend on the order in which updates arrive: the same updates
// always give the same model, bit for bit.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tensor/parameter_set.h"

namespace fedge::server {

class FedAvgAccumulator {
 public:
  // Sums deltas shaped like `layout`.
  explicit FedAvgAccumulator(std::vector<tensor::TensorSpec> layout);

  // Adds `weight * delta`. InvalidArgument if the layout differs, weight is
  // zero, or a weighted value is too large to sum (|w·delta| >= 2^78); the
  // sum is unchanged then.
  absl::Status Add(const tensor::ParameterSetView& delta, uint64_t weight);

  uint64_t total_weight() const { return total_weight_; }
  uint32_t num_updates() const { return num_updates_; }

  // global + sum / total_weight. FailedPrecondition if nothing was added.
  absl::StatusOr<tensor::ParameterSet> Apply(
      const tensor::ParameterSet& global) const;

 private:
  std::vector<tensor::TensorSpec> layout_;
  std::vector<__int128> sum_;  // in units of 2^-48
  uint64_t total_weight_ = 0;
  uint32_t num_updates_ = 0;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STRATEGY_FEDAVG_H_
