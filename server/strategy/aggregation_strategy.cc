#include "server/strategy/aggregation_strategy.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"
#include "server/strategy/robust_aggregation.h"

namespace fedge::server {
namespace {

// The server optimisers other than plain fedavg (which needs none: the mean
// is the next model).
bool UsesOptimizer(const std::string& name) {
  if (name == "fedavg") return false;
  for (const char* optimizer : kServerOptimizerNames) {
    if (name == optimizer) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AggregationStrategy>> AggregationStrategy::Make(
    const config::StrategyConfig& config,
    std::vector<tensor::TensorSpec> layout) {
  const bool robust = config::IsRobustStrategy(config.name);
  std::unique_ptr<ServerOptimizer> optimizer;
  if (UsesOptimizer(config.name)) {
    ServerOptimizerConfig oc;
    oc.name = config.name;
    oc.learning_rate = config.server_learning_rate;
    oc.momentum = config.server_momentum;
    oc.beta1 = config.beta1;
    oc.beta2 = config.beta2;
    oc.tau = config.tau;
    FEDGE_ASSIGN_OR_RETURN(optimizer,
                           MakeServerOptimizer(oc, std::move(layout)));
  } else if (!robust && config.name != "fedavg" && config.name != "fedprox") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown strategy \"", config.name, "\""));
  }
  return std::unique_ptr<AggregationStrategy>(
      new AggregationStrategy(config, robust, std::move(optimizer)));
}

AggregationStrategy::AggregationStrategy(
    const config::StrategyConfig& config, bool robust,
    std::unique_ptr<ServerOptimizer> optimizer)
    : config_(config), robust_(robust), optimizer_(std::move(optimizer)) {}

uint32_t AggregationStrategy::min_updates() const {
  if (config_.name == "krum" || config_.name == "multi_krum") {
    return 2 * config_.byzantine + 3;
  }
  return 1;
}

absl::StatusOr<std::vector<float>> AggregationStrategy::RobustDelta(
    absl::Span<const absl::Span<const float>> updates,
    absl::Span<const double> weights) const {
  const int f = static_cast<int>(config_.byzantine);
  if (config_.name == "median") return CoordinateWiseMedian(updates);
  if (config_.name == "trimmed_mean") {
    return TrimmedMean(updates, config_.trim_fraction, weights);
  }
  if (config_.name == "krum") return Krum(updates, f);
  // multi_krum: m = 0 means n - f, the most that can exclude f attackers.
  int m = static_cast<int>(config_.multi_krum_m);
  if (m == 0) m = static_cast<int>(updates.size()) - f;
  if (m > static_cast<int>(updates.size())) {
    m = static_cast<int>(updates.size());
  }
  return MultiKrum(updates, f, m, weights);
}

absl::StatusOr<tensor::ParameterSet> AggregationStrategy::Next(
    const tensor::ParameterSet& base, tensor::ParameterSet mean,
    absl::Span<const absl::Span<const float>> updates,
    absl::Span<const double> weights) {
  if (!robust_ && optimizer_ == nullptr) return mean;  // fedavg, fedprox
  if (updates.size() < min_updates() && robust_) {
    return absl::InvalidArgumentError(
        absl::StrCat(config_.name, " with byzantine: ", config_.byzantine,
                     " needs at least ", min_updates(),
                     " accepted updates, the round has ", updates.size()));
  }
  std::vector<float> delta;
  if (robust_) {
    FEDGE_ASSIGN_OR_RETURN(delta, RobustDelta(updates, weights));
  } else {
    if (!mean.SameLayout(base)) {
      return absl::InvalidArgumentError(
          "the round's mean is not shaped like the global model");
    }
    absl::Span<const float> m = mean.values();
    absl::Span<const float> b = base.values();
    delta.resize(m.size());
    for (size_t i = 0; i < m.size(); ++i) delta[i] = m[i] - b[i];
  }
  if (delta.size() != base.num_elements()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the updates have ", delta.size(),
                     " values, the global model ", base.num_elements()));
  }
  tensor::ParameterSet next = base;
  if (optimizer_ != nullptr) {
    FEDGE_RETURN_IF_ERROR(optimizer_->Step(delta, &next));
    return next;
  }
  absl::Span<float> values = next.mutable_values();
  for (size_t i = 0; i < values.size(); ++i) values[i] += delta[i];
  return next;
}

absl::StatusOr<std::string> AggregationStrategy::SerializeState() const {
  if (optimizer_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("strategy ", config_.name, " keeps no state"));
  }
  return optimizer_->SerializeState();
}

absl::Status AggregationStrategy::RestoreState(absl::string_view bytes) {
  if (optimizer_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("strategy ", config_.name, " keeps no state"));
  }
  return optimizer_->RestoreState(bytes);
}

}  // namespace fedge::server
