#include "common/privacy/conversion.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace fedge::privacy {

absl::StatusOr<PrivacySpent> EpsilonFromRdp(const std::vector<double>& orders,
                                            const std::vector<double>& rdp,
                                            double delta,
                                            RdpConversion conversion) {
  if (!(delta > 0.0 && delta < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "delta must be in (0, 1), got ", delta,
        "; pick it below 1 / (number of clients), for example 1e-5"));
  }
  if (orders.empty() || orders.size() != rdp.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("need one RDP value per order, got ", orders.size(),
                     " orders and ", rdp.size(), " values"));
  }
  const double log_delta = std::log(delta);
  PrivacySpent best{std::numeric_limits<double>::infinity(), delta,
                    orders.front()};
  for (size_t i = 0; i < orders.size(); ++i) {
    const double a = orders[i];
    if (!(a > 1.0) || std::isinf(a)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RDP order must be a finite number greater than 1, got ", a));
    }
    if (!(rdp[i] >= 0.0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RDP must be non-negative, got ", rdp[i], " at order ", a));
    }
    double epsilon = std::numeric_limits<double>::infinity();
    switch (conversion) {
      case RdpConversion::kImproved:
        epsilon = rdp[i] + std::log1p(-1.0 / a) -
                  (log_delta + std::log(a)) / (a - 1.0);
        break;
      case RdpConversion::kClassic:
        epsilon = rdp[i] - log_delta / (a - 1.0);
        break;
    }
    // Of equal bounds the first order in the list is reported.
    if (epsilon < best.epsilon) {
      best.epsilon = epsilon;
      best.order = a;
    }
  }
  // A mechanism that has revealed nothing (no rounds, or rounds with q = 0)
  // is (0, 0)-DP; the formulas above would still charge a small epsilon,
  // an artefact of optimising over a finite grid of orders.
  bool nothing_spent = true;
  for (double r : rdp) nothing_spent = nothing_spent && r == 0.0;
  if (nothing_spent || best.epsilon < 0.0) best.epsilon = 0.0;
  return best;
}

}  // namespace fedge::privacy
