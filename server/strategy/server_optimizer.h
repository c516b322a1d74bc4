#ifndef FEDGE_SERVER_STRATEGY_SERVER_OPTIMIZER_H_
#define FEDGE_SERVER_STRATEGY_SERVER_OPTIMIZER_H_

// Server optimisers: how the round's aggregate moves the global model.
//
// Each round yields the pseudo-gradient Δ_t, the (weighted) mean of the
// clients' deltas — what FedAvgAccumulator computes and what secure
// aggregation reveals. A server optimiser turns Δ_t into the next global
// model, following Reddi et al., "Adaptive Federated Optimization" (ICLR
// 2021), Algorithm 2, and Hsu et al. (2019) for server momentum:
//
//   fedavg      x ← x + η·Δ                       (η = 1: McMahan et al.)
//   fedavgm     m ← β·m + Δ;  x ← x + η·m          (β = `momentum`)
//   fedadagrad  m ← β1·m + (1−β1)·Δ;  v ← v + Δ²
//   fedadam     m ← β1·m + (1−β1)·Δ;  v ← β2·v + (1−β2)·Δ²
//   fedyogi     m ← β1·m + (1−β1)·Δ;  v ← v − (1−β2)·Δ²·sign(v − Δ²)
//               and for all three: x ← x + η·m / (√v + τ)
//
// All operations are per coordinate. As in the paper there is no bias
// correction; m starts at 0 and v at τ² (Algorithm 2 requires v₋₁ ≥ τ²; we
// take the smallest value it allows). m and v are kept in double precision
// between rounds (16 bytes per parameter at most), so that small steps are
// not lost to float rounding in the state; the model itself stays float.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/tensor/parameter_set.h"

namespace fedge::server {

// Hyperparameters. Which fields a rule reads (the others are ignored):
//   fedavg      learning_rate
//   fedavgm     learning_rate, momentum
//   fedadagrad  learning_rate, beta1, tau
//   fedadam     learning_rate, beta1, beta2, tau
//   fedyogi     learning_rate, beta1, beta2, tau
// The defaults of beta1/beta2 are the paper's fixed values; η and τ are
// tuned per task in the paper, and η = 1 is rarely right for the adaptive
// rules (it is exactly plain FedAvg for "fedavg").
struct ServerOptimizerConfig {
  // One of kServerOptimizerNames; case does not matter.
  std::string name = "fedavg";
  // η, the server learning rate. Positive.
  double learning_rate = 1.0;
  // β of FedAvgM, in [0, 1).
  double momentum = 0.9;
  // Decay of the first moment, in [0, 1).
  double beta1 = 0.9;
  // Decay of the second moment (FedAdam, FedYogi), in [0, 1).
  double beta2 = 0.99;
  // τ, the degree of adaptivity: smaller is more adaptive. Positive.
  double tau = 1e-3;
};

// The accepted values of ServerOptimizerConfig::name.
inline constexpr const char* kServerOptimizerNames[] = {
    "fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi"};

class ServerOptimizer {
 public:
  virtual ~ServerOptimizer() = default;

  // The rule's canonical name ("fedadam").
  virtual absl::string_view name() const = 0;

  // Rounds applied so far, including those carried over by RestoreState.
  virtual uint64_t rounds() const = 0;

  // Applies one round: moves `global` (in place) by the round's mean delta
  // Δ_t and updates the optimiser's state. InvalidArgument if `global` is
  // null or not shaped like the layout the optimiser was made for,
  // `mean_delta` does not have one value per parameter, or a value of
  // `mean_delta` is not finite (a NaN would poison m and v for every later
  // round); neither `global` nor the state changes then.
  virtual absl::Status Step(absl::Span<const float> mean_delta,
                            tensor::ParameterSet* global) = 0;

  // The state (rule, rounds, m, v) as bytes, so that a restarted server
  // resumes with its momentum instead of starting from zero. The format is
  // versioned and little-endian; see server_optimizer.cc.
  virtual absl::StatusOr<std::string> SerializeState() const = 0;

  // Replaces the state with one from SerializeState. InvalidArgument if the
  // bytes have another format version, were saved by another rule or for
  // another model layout, have the wrong length, or hold a non-finite or
  // (for v) negative value; the state is unchanged then. Hyperparameters are
  // not part of the state: an operator may change η, β or τ across a
  // restart.
  virtual absl::Status RestoreState(absl::string_view bytes) = 0;
};

// An optimiser for models shaped like `layout`, with fresh state.
// InvalidArgument naming the field if `config.name` is not one of
// kServerOptimizerNames, a hyperparameter the rule reads is out of range or
// not finite, or `layout` has a negative dimension or more than
// ParameterSet::kMaxElements values.
absl::StatusOr<std::unique_ptr<ServerOptimizer>> MakeServerOptimizer(
    const ServerOptimizerConfig& config,
    std::vector<tensor::TensorSpec> layout);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STRATEGY_SERVER_OPTIMIZER_H_
