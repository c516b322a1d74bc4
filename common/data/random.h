#ifndef FEDGE_COMMON_DATA_RANDOM_H_
#define FEDGE_COMMON_DATA_RANDOM_H_

// A small, fully specified random source for data partitioning. Every
// algorithm here is written out (no std:: distributions, whose algorithms
// differ between standard libraries), so the same seed gives the same draws
// on every machine. Uniform and integer draws are bit-exact everywhere;
// normal and gamma draws go through log/sqrt/exp and so are as reproducible
// as the platform's libm (IEEE-754 doubles, glibc on every fedge target).
//
// Not for cryptography: SplitMix64 is predictable from its output.

#include <cstdint>

namespace fedge::data {

// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", 2014), the 64-bit variant with Stafford's "Mix13" finaliser.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  // The next 64 uniformly distributed bits.
  uint64_t Next();

  // Uniform in [0, 1), a multiple of 2^-53 (the top 53 bits of Next()).
  double UniformDouble();

  // Uniform in (0, 1): never exactly 0, so safe to take the log of.
  double UniformOpenDouble();

  // Uniform in [0, n), without modulo bias (rejection of the low
  // 2^64 mod n values). n must be > 0.
  uint64_t UniformInt(uint64_t n);

  // Standard normal, by Marsaglia's polar method. Each call consumes draws
  // afresh (the second value of each pair is discarded) so that the stream
  // position never depends on hidden state.
  double Normal();

  // Gamma(shape, 1) by Marsaglia and Tsang (2000); for shape < 1 the
  // "boost" Gamma(shape + 1) * U^(1/shape). shape must be > 0.
  double Gamma(double shape);

  // log of a Gamma(shape, 1) draw. For small shapes the draw itself can
  // underflow to 0 (U^(1/shape) with shape 0.01), its log does not; use this
  // when only ratios of draws matter (Dirichlet).
  double LogGamma(double shape);

 private:
  uint64_t state_;
};

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_RANDOM_H_
