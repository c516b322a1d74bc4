#include "common/privacy/rdp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/privacy/log_math.h"
#include "common/util/status_macros.h"

namespace fedge::privacy {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kLogHalf = -0.69314718055994530942;

// The fractional series stops once a term is this far below the running sum
// in log space (e^-36 ~ 2e-16, under a double's relative precision). Its
// tail alternates in sign past k > alpha, so the first omitted term bounds
// the error.
constexpr double kSeriesLogTolerance = 36.0;
// The tail decays like k^-(alpha + 2), so even alpha near 1 with q near 1/2
// stops within ~10^5 terms; running past this cap means something is wrong.
constexpr int64_t kMaxSeriesTerms = 10'000'000;

absl::Status ValidateMechanism(double q, double noise_multiplier) {
  if (!(q >= 0.0 && q <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sampling rate q must be in [0, 1] (cohort size over population), "
        "got ",
        q));
  }
  if (!(noise_multiplier > 0.0) || std::isinf(noise_multiplier)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "noise multiplier z must be positive and finite (noise std over "
        "clipping norm), got ",
        noise_multiplier));
  }
  return absl::OkStatus();
}

absl::Status ValidateOrder(double order) {
  if (!(order > 1.0 && order <= kMaxRdpOrder)) {
    return absl::InvalidArgumentError(
        absl::StrCat("RDP order must be greater than 1 and at most ",
                     kMaxRdpOrder, ", got ", order));
  }
  return absl::OkStatus();
}

// log A_alpha for integer alpha: the expectation expands exactly as
//   A = sum_{k=0}^{alpha} C(alpha, k) (1-q)^(alpha-k) q^k exp((k^2 - k)/2z^2)
// (Mironov, Talwar, Zhang 2019, Section 3.2), every term positive.
double LogAInteger(double q, double z, int64_t alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double two_z2 = 2.0 * z * z;
  double log_a = kNegInf;
  // log C(alpha, k) by the recurrence C(k+1) = C(k) (alpha - k) / (k + 1),
  // which avoids lgamma (not thread-safe in glibc: it writes signgam).
  double log_binom = 0.0;
  for (int64_t k = 0; k <= alpha; ++k) {
    const double kd = static_cast<double>(k);
    const double term = log_binom + kd * log_q +
                        static_cast<double>(alpha - k) * log_1mq +
                        (kd * kd - kd) / two_z2;
    log_a = LogAddExp(log_a, term);
    log_binom += std::log(static_cast<double>(alpha - k)) - std::log(kd + 1.0);
  }
  return log_a;
}

// log A_alpha for fractional alpha. Splitting the expectation at
// z0 = z^2 log(1/q - 1) + 1/2, where the two mixture components' densities
// cross, makes both halves' binomial series converge (Mironov, Talwar, Zhang
// 2019, Section 3.3):
//   A = sum_k C(alpha,k) q^k (1-q)^(alpha-k) e^((k^2-k)/2z^2)
//             * erfc((k - z0) / (sqrt(2) z)) / 2
//     + sum_k C(alpha,k) q^(alpha-k) (1-q)^k e^((j^2-j)/2z^2)
//             * erfc((z0 - j) / (sqrt(2) z)) / 2,        j = alpha - k.
// C(alpha, k) changes sign for k > alpha, so positive and negative terms are
// summed apart and subtracted once at the end.
absl::StatusOr<double> LogAFractional(double q, double z, double alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double two_z2 = 2.0 * z * z;
  const double sqrt2_z = std::sqrt(2.0) * z;
  const double z0 = z * z * (log_1mq - log_q) + 0.5;

  double log_pos = kNegInf;
  double log_neg = kNegInf;
  double log_abs_binom = 0.0;
  bool binom_negative = false;
  for (int64_t k = 0; k < kMaxSeriesTerms; ++k) {
    const double kd = static_cast<double>(k);
    const double j = alpha - kd;
    const double log_s0 = log_abs_binom + kd * log_q + j * log_1mq +
                          (kd * kd - kd) / two_z2 + kLogHalf +
                          LogErfc((kd - z0) / sqrt2_z);
    const double log_s1 = log_abs_binom + j * log_q + kd * log_1mq +
                          (j * j - j) / two_z2 + kLogHalf +
                          LogErfc((z0 - j) / sqrt2_z);
    double& sum = binom_negative ? log_neg : log_pos;
    sum = LogAddExp(sum, LogAddExp(log_s0, log_s1));

    if (kd > alpha && log_pos > log_neg) {
      const double log_total = LogSubExp(log_pos, log_neg);
      if (std::max(log_s0, log_s1) < log_total - kSeriesLogTolerance) {
        return log_total;
      }
    }
    log_abs_binom += std::log(std::abs(j)) - std::log(kd + 1.0);
    if (j < 0.0) binom_negative = !binom_negative;
  }
  return absl::InternalError(absl::StrCat(
      "the sampled Gaussian RDP series did not converge for q = ", q,
      ", z = ", z, ", order = ", alpha));
}

}  // namespace

absl::StatusOr<double> SampledGaussianRdp(double q, double noise_multiplier,
                                          double order) {
  FEDGE_RETURN_IF_ERROR(ValidateMechanism(q, noise_multiplier));
  FEDGE_RETURN_IF_ERROR(ValidateOrder(order));
  const double z = noise_multiplier;
  if (q == 0.0) return 0.0;
  if (q == 1.0) return order / (2.0 * z * z);

  double log_a;
  if (order == std::floor(order)) {
    log_a = LogAInteger(q, z, static_cast<int64_t>(order));
  } else {
    FEDGE_ASSIGN_OR_RETURN(log_a, LogAFractional(q, z, order));
  }
  // A_alpha >= 1 by Jensen's inequality; rounding in the sums can leave a
  // tiny negative log for very small q, which is not a privacy gain.
  return std::max(0.0, log_a) / (order - 1.0);
}

absl::StatusOr<std::vector<double>> ComposedSampledGaussianRdp(
    double q, double noise_multiplier, uint64_t steps,
    const std::vector<double>& orders) {
  std::vector<double> rdp;
  rdp.reserve(orders.size());
  for (double order : orders) {
    FEDGE_ASSIGN_OR_RETURN(double one_round,
                           SampledGaussianRdp(q, noise_multiplier, order));
    rdp.push_back(static_cast<double>(steps) * one_round);
  }
  return rdp;
}

}  // namespace fedge::privacy
