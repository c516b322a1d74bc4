#ifndef FEDGE_SERVER_STRATEGY_AGGREGATION_STRATEGY_H_
#define FEDGE_SERVER_STRATEGY_AGGREGATION_STRATEGY_H_

// The configured strategy (`strategy:` in the server config): how a round's
// accepted updates become the next global model. It has two parts.
//
//  1. The round's delta Δ. For fedavg, fedprox and the server optimisers it
//     is the weighted mean of the deltas (FedAvgAccumulator, or the unmasked
//     sum of a secure round). For a robust rule (median, trimmed_mean, krum,
//     multi_krum) it is that rule over the updates kept one by one.
//  2. The step. fedavg, fedprox and the robust rules move the model by Δ;
//     fedavgm, fedadagrad, fedadam and fedyogi hand Δ to a ServerOptimizer,
//     whose state (momentum, second moments) lasts across rounds and is
//     saved with each checkpoint so that a restarted server resumes it.
//
// FedProx differs from FedAvg only on the clients (the proximal term).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/config/server_config.h"
#include "common/tensor/parameter_set.h"
#include "server/strategy/server_optimizer.h"

namespace fedge::server {

class AggregationStrategy {
 public:
  // The strategy `config` names, for models shaped like `layout`.
  // InvalidArgument naming the setting if the name or a parameter is not
  // valid (the config loader has normally caught it already).
  static absl::StatusOr<std::unique_ptr<AggregationStrategy>> Make(
      const config::StrategyConfig& config,
      std::vector<tensor::TensorSpec> layout);

  const std::string& name() const { return config_.name; }

  // Whether rounds must keep each accepted update (a robust rule): such a
  // strategy cannot run with secure aggregation.
  bool needs_updates() const { return robust_; }

  // The fewest accepted updates a round needs: 2f + 3 for krum and
  // multi_krum, 1 otherwise.
  uint32_t min_updates() const;

  // The next global model from `base`.
  //  - `mean` is the round's weighted-mean result, base + Δ (as
  //    Round::Aggregate computes it); used unless needs_updates().
  //  - `updates` and `weights` are the accepted deltas and their weights
  //    (capped example counts), one each; used if needs_updates().
  // InvalidArgument if the inputs do not fit the rule (too few updates for
  // Krum, mismatched lengths, a non-finite value); no state changes then.
  absl::StatusOr<tensor::ParameterSet> Next(
      const tensor::ParameterSet& base, tensor::ParameterSet mean,
      absl::Span<const absl::Span<const float>> updates,
      absl::Span<const double> weights);

  // Whether there is state to save between rounds (a server optimiser).
  bool has_state() const { return optimizer_ != nullptr; }
  absl::StatusOr<std::string> SerializeState() const;
  // InvalidArgument if the bytes belong to another rule or model layout.
  absl::Status RestoreState(absl::string_view bytes);

 private:
  AggregationStrategy(const config::StrategyConfig& config, bool robust,
                      std::unique_ptr<ServerOptimizer> optimizer);

  // Δ from the kept updates, by the robust rule.
  absl::StatusOr<std::vector<float>> RobustDelta(
      absl::Span<const absl::Span<const float>> updates,
      absl::Span<const double> weights) const;

  config::StrategyConfig config_;
  bool robust_;
  std::unique_ptr<ServerOptimizer> optimizer_;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STRATEGY_AGGREGATION_STRATEGY_H_
