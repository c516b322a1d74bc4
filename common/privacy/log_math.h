#ifndef FEDGE_COMMON_PRIVACY_LOG_MATH_H_
#define FEDGE_COMMON_PRIVACY_LOG_MATH_H_

// Arithmetic on numbers held as their natural logarithms. The moments of the
// sampled Gaussian mechanism overflow a double long before the orders and
// round counts a federation uses (exp(k^2 / 2z^2) alone does at k = 38 for
// z = 1), so the accountant works with logs throughout.

namespace fedge::privacy {

// log(exp(a) + exp(b)), exact when either is -infinity.
double LogAddExp(double a, double b);

// log(exp(a) - exp(b)) for a >= b; -infinity when a == b.
double LogSubExp(double a, double b);

// log(erfc(x)) for any finite x, also where erfc(x) underflows (x > ~26).
double LogErfc(double x);

}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_LOG_MATH_H_
