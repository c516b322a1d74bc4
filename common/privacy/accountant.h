#ifndef FEDGE_COMMON_PRIVACY_ACCOUNTANT_H_
#define FEDGE_COMMON_PRIVACY_ACCOUNTANT_H_

// The privacy spent by DP-FedAvg: rounds of the sampled Gaussian mechanism
// (rdp.h) composed over a run, tracked as an RDP curve on a fixed grid of
// orders and read out as (epsilon, delta) (conversion.h).

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/privacy/conversion.h"

namespace fedge::privacy {

// TensorFlow Privacy's grid (compute_dp_sgd_privacy), with 64 added: dense at
// small orders, where many rounds or little noise put the optimum, sparse at
// large ones, where a small epsilon does:
// 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, 5, 6, ..., 64, 128, 256, 512.
std::vector<double> DefaultOrders();

class RdpAccountant {
 public:
  // Tracks RDP at `orders` (each in (1, kMaxRdpOrder]). Invalid orders make
  // the accountant report InvalidArgument from Epsilon, as a bad Compose does.
  explicit RdpAccountant(std::vector<double> orders = DefaultOrders());

  // Records `steps` rounds, each sampling clients with probability `q` and
  // adding Gaussian noise of std `noise_multiplier` times the clipping norm.
  // Rounds with different parameters may be mixed. Invalid parameters
  // record nothing and leave the accountant in error: every later Epsilon
  // returns that error, because a privacy report that silently skipped a
  // round would understate the privacy spent.
  void Compose(double q, double noise_multiplier, uint64_t steps = 1);

  // The smallest epsilon for `delta` in (0, 1) over the orders, with the
  // tighter conversion of Balle et al. 2020 (RdpConversion::kImproved).
  // 0 before any round. InvalidArgument for a bad delta, or the error of an
  // earlier invalid constructor argument or Compose.
  absl::StatusOr<PrivacySpent> Epsilon(double delta) const;

  // As Epsilon, with Mironov's 2017 conversion (RdpConversion::kClassic),
  // for comparison with figures published that way.
  absl::StatusOr<PrivacySpent> ClassicEpsilon(double delta) const;

  // Rounds recorded so far, over all Compose calls.
  uint64_t steps() const { return steps_; }
  // OK unless a constructor argument or a Compose was invalid.
  const absl::Status& status() const { return status_; }

  const std::vector<double>& orders() const { return orders_; }
  // The composed RDP at each order, in the order of orders().
  const std::vector<double>& rdp() const { return rdp_; }

 private:
  absl::StatusOr<PrivacySpent> Convert(double delta,
                                       RdpConversion conversion) const;

  std::vector<double> orders_;
  std::vector<double> rdp_;
  uint64_t steps_ = 0;
  absl::Status status_;
};

// The largest number of rounds with sampling rate `q` and noise multiplier
// `noise_multiplier` whose epsilon at `delta` (as RdpAccountant::Epsilon
// with DefaultOrders() reports it) stays <= `epsilon_budget`; 0 if even one
// round exceeds it. A server stops after this many rounds and so never
// overshoots its budget. If no number of rounds can exhaust the budget
// (q = 0, or noise so large that RDP per round underflows), returns
// UINT64_MAX. InvalidArgument for parameters outside their ranges or a
// negative or non-finite budget.
absl::StatusOr<uint64_t> MaxStepsWithinBudget(double q, double noise_multiplier,
                                              double epsilon_budget,
                                              double delta);

}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_ACCOUNTANT_H_
