#include "common/privacy/log_math.h"

#include <cmath>
#include <limits>
#include <utility>

namespace fedge::privacy {

double LogAddExp(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

double LogSubExp(double a, double b) {
  if (b == -std::numeric_limits<double>::infinity()) return a;
  if (a == b) return -std::numeric_limits<double>::infinity();
  return a + std::log1p(-std::exp(b - a));
}

double LogErfc(double x) {
  // Below this std::erfc keeps full relative precision (erfc(20) ~ 5e-176 is
  // still a normal double); above it the value heads for underflow.
  constexpr double kAsymptoticFrom = 20.0;
  if (x < kAsymptoticFrom) return std::log(std::erfc(x));
  // erfc(x) = exp(-x^2) / (x sqrt(pi)) * (1 + sum_n (-1)^n (2n-1)!! /
  // (2x^2)^n). The series is asymptotic, but at x >= 20 its terms shrink by a
  // factor of at least 800 for the first dozen, so a few of them reach double
  // precision.
  const double inv_two_x2 = 1.0 / (2.0 * x * x);
  double term = 1.0;
  double series = 1.0;
  for (int n = 1; n <= 8; ++n) {
    term *= -(2.0 * n - 1.0) * inv_two_x2;
    series += term;
  }
  constexpr double kLogSqrtPi = 0.57236494292470008707;  // log(sqrt(pi))
  return -x * x - std::log(x) - kLogSqrtPi + std::log(series);
}

}  // namespace fedge::privacy
