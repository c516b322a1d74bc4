#ifndef FEDGE_COMMON_PRIVACY_CONVERSION_H_
#define FEDGE_COMMON_PRIVACY_CONVERSION_H_

// From an RDP curve (R(alpha) at a set of orders) to an (epsilon, delta)
// guarantee. Each order gives a valid epsilon for the target delta; the
// reported one is the smallest over the orders, with the order that gave it.

#include <vector>

#include "absl/status/statusor.h"

namespace fedge::privacy {

// An (epsilon, delta)-DP guarantee and the RDP order it was read from. An
// optimum at the smallest or largest order of the grid suggests a wider
// grid would give a smaller epsilon.
struct PrivacySpent {
  double epsilon = 0.0;
  double delta = 0.0;
  double order = 0.0;
};

enum class RdpConversion {
  // Balle, Barthe, Gaboardi, Hsu, Sato 2020, "Hypothesis testing
  // interpretations and Renyi differential privacy", Theorem 21, in the form
  // of Canonne, Kamath, Steinke 2020, Proposition 12:
  //   eps = R(a) + log((a - 1) / a) - (log(delta) + log(a)) / (a - 1).
  // At every order it is below kClassic by log(a / (a - 1)) + log(a) / (a - 1),
  // most at the small orders; fedge reports this one.
  kImproved,
  // Mironov 2017, "Renyi Differential Privacy", Proposition 3:
  //   eps = R(a) + log(1 / delta) / (a - 1).
  // Kept to compare with published figures computed this way.
  kClassic,
};

// The smallest epsilon over `orders` (each > 1) for `delta` in (0, 1), given
// `rdp[i]` = R(orders[i]) >= 0. Epsilon is 0 when every R is 0 (nothing was
// revealed) and otherwise at least 0 (a negative bound means no more).
// InvalidArgument for a delta outside (0, 1), empty or mismatched vectors, or
// an order <= 1.
absl::StatusOr<PrivacySpent> EpsilonFromRdp(const std::vector<double>& orders,
                                            const std::vector<double>& rdp,
                                            double delta,
                                            RdpConversion conversion);

}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_CONVERSION_H_
