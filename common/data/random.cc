#include "common/data/random.h"

#include <cmath>

namespace fedge::data {
namespace {

// log of a Gamma(shape >= 1) draw by Marsaglia–Tsang, which needs shape >= 1.
double LogGammaAtLeastOne(SplitMix64& rng, double shape) {
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x;
    double v;
    do {
      x = rng.Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.UniformOpenDouble();
    const double x2 = x * x;
    // The cheap squeeze accepts ~98% of draws without a log.
    if (u < 1.0 - 0.0331 * x2 * x2) return std::log(d * v);
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) {
      return std::log(d * v);
    }
  }
}

}  // namespace

uint64_t SplitMix64::Next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SplitMix64::UniformDouble() {
  return static_cast<double>(Next() >> 11) * 0x1.0p-53;
}

double SplitMix64::UniformOpenDouble() {
  return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t SplitMix64::UniformInt(uint64_t n) {
  // 2^64 mod n, computed in 64 bits: the values below it are the ones that
  // would make `x % n` favour small results.
  const uint64_t threshold = (0 - n) % n;
  while (true) {
    const uint64_t x = Next();
    if (x >= threshold) return x % n;
  }
}

double SplitMix64::Normal() {
  while (true) {
    const double u = 2.0 * UniformDouble() - 1.0;
    const double v = 2.0 * UniformDouble() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

double SplitMix64::Gamma(double shape) { return std::exp(LogGamma(shape)); }

double SplitMix64::LogGamma(double shape) {
  if (shape >= 1.0) return LogGammaAtLeastOne(*this, shape);
  // Gamma(a) = Gamma(a + 1) * U^(1/a), in logs.
  const double log_boosted = LogGammaAtLeastOne(*this, shape + 1.0);
  return log_boosted + std::log(UniformOpenDouble()) / shape;
}

}  // namespace fedge::data
