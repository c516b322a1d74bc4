#include "common/privacy/accountant.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/privacy/conversion.h"
#include "common/privacy/rdp.h"
#include "common/util/status_macros.h"

namespace fedge::privacy {

std::vector<double> DefaultOrders() {
  std::vector<double> orders = {1.25, 1.5, 1.75, 2.0, 2.25,
                                2.5,  3.0, 3.5,  4.0, 4.5};
  for (int order = 5; order <= 64; ++order) orders.push_back(order);
  orders.insert(orders.end(), {128.0, 256.0, 512.0});
  return orders;
}

RdpAccountant::RdpAccountant(std::vector<double> orders)
    : orders_(std::move(orders)), rdp_(orders_.size(), 0.0) {
  if (orders_.empty()) {
    status_ = absl::InvalidArgumentError(
        "RdpAccountant needs at least one RDP order");
    return;
  }
  for (double order : orders_) {
    if (!(order > 1.0 && order <= kMaxRdpOrder)) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("RDP order must be greater than 1 and at most ",
                       kMaxRdpOrder, ", got ", order));
      return;
    }
  }
}

void RdpAccountant::Compose(double q, double noise_multiplier, uint64_t steps) {
  if (!status_.ok()) return;
  if (steps > std::numeric_limits<uint64_t>::max() - steps_) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat("composing ", steps, " more rounds onto ", steps_,
                     " overflows the round count"));
    return;
  }
  absl::StatusOr<std::vector<double>> added =
      ComposedSampledGaussianRdp(q, noise_multiplier, steps, orders_);
  if (!added.ok()) {
    status_ = added.status();
    return;
  }
  for (size_t i = 0; i < rdp_.size(); ++i) rdp_[i] += (*added)[i];
  steps_ += steps;
}

absl::StatusOr<PrivacySpent> RdpAccountant::Epsilon(double delta) const {
  return Convert(delta, RdpConversion::kImproved);
}

absl::StatusOr<PrivacySpent> RdpAccountant::ClassicEpsilon(double delta) const {
  return Convert(delta, RdpConversion::kClassic);
}

absl::StatusOr<PrivacySpent> RdpAccountant::Convert(
    double delta, RdpConversion conversion) const {
  FEDGE_RETURN_IF_ERROR(status_);
  return EpsilonFromRdp(orders_, rdp_, delta, conversion);
}

absl::StatusOr<uint64_t> MaxStepsWithinBudget(double q, double noise_multiplier,
                                              double epsilon_budget,
                                              double delta) {
  if (!(epsilon_budget >= 0.0) || std::isinf(epsilon_budget)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "epsilon budget must be a finite number >= 0, got ", epsilon_budget));
  }
  const std::vector<double> orders = DefaultOrders();
  FEDGE_ASSIGN_OR_RETURN(
      const std::vector<double> one_round,
      ComposedSampledGaussianRdp(q, noise_multiplier, 1, orders));

  // Epsilon after n rounds, computed exactly as RdpAccountant does after a
  // single Compose(q, noise_multiplier, n), so the two agree to the bit.
  std::vector<double> rdp(orders.size());
  auto within_budget = [&](uint64_t n) -> absl::StatusOr<bool> {
    for (size_t i = 0; i < rdp.size(); ++i) {
      rdp[i] = static_cast<double>(n) * one_round[i];
    }
    FEDGE_ASSIGN_OR_RETURN(
        const PrivacySpent spent,
        EpsilonFromRdp(orders, rdp, delta, RdpConversion::kImproved));
    return spent.epsilon <= epsilon_budget;
  };

  // Epsilon never falls as rounds are added (every order's bound grows with
  // n, so does their minimum): gallop up to a failing count, then bisect.
  FEDGE_ASSIGN_OR_RETURN(bool ok, within_budget(1));
  if (!ok) return 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t good = 1;  // within budget
  uint64_t bad = 0;   // over budget once set (0: none found yet)
  while (bad == 0) {
    const uint64_t next = good > kMax / 2 ? kMax : 2 * good;
    FEDGE_ASSIGN_OR_RETURN(ok, within_budget(next));
    if (!ok) {
      bad = next;
    } else if (next == kMax) {
      return kMax;
    } else {
      good = next;
    }
  }
  while (bad - good > 1) {
    const uint64_t mid = good + (bad - good) / 2;
    FEDGE_ASSIGN_OR_RETURN(ok, within_budget(mid));
    (ok ? good : bad) = mid;
  }
  return good;
}

}  // namespace fedge::privacy
