#ifndef FEDGE_COMMON_PRIVACY_RDP_H_
#define FEDGE_COMMON_PRIVACY_RDP_H_

// Rényi differential privacy (RDP) of the sampled Gaussian mechanism: each
// round includes every client independently with probability q (Poisson
// sampling), clips each update to L2 norm S, and adds N(0, (z*S)^2) noise to
// the sum. Neighbouring datasets differ by the presence of one client.
//
// The mechanism is (alpha, R(alpha))-RDP with (Mironov, Talwar, Zhang 2019,
// "Rényi Differential Privacy of the Sampled Gaussian Mechanism"):
//
//   R(alpha) = log(A_alpha) / (alpha - 1),
//   A_alpha  = E_{x ~ N(0, z^2)} [((1 - q) + q exp((2x - 1) / (2 z^2)))^alpha].
//
// A_alpha has an exact finite binomial expansion when alpha is an integer
// and a convergent series (their Section 3.3) otherwise; both are summed in
// log space. RDP composes additively: T rounds give T * R(alpha) at every
// order (Mironov 2017, Proposition 1).

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace fedge::privacy {

// Integer orders cost order + 1 terms. Useful orders stay in the hundreds
// (the default grid stops at 512); the bound keeps a typo from hanging a
// server.
inline constexpr double kMaxRdpOrder = 1e6;

// R(order) of one round with sampling rate `q` in [0, 1], noise multiplier
// `noise_multiplier` (z, noise std over clipping norm) > 0, and a finite
// `order` in (1, kMaxRdpOrder]. q = 0 gives 0; q = 1 gives the plain Gaussian
// mechanism's order / (2 z^2). InvalidArgument names the offending input;
// Internal if the fractional-order series fails to converge (not seen in
// testing, but a privacy bound must not be a silent guess).
absl::StatusOr<double> SampledGaussianRdp(double q, double noise_multiplier,
                                          double order);

// The RDP curve of `steps` rounds of the same mechanism: element i is
// steps * SampledGaussianRdp(q, noise_multiplier, orders[i]).
absl::StatusOr<std::vector<double>> ComposedSampledGaussianRdp(
    double q, double noise_multiplier, uint64_t steps,
    const std::vector<double>& orders);

}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_RDP_H_
