#ifndef FEDGE_COMMON_PRIVACY_GAUSSIAN_NOISE_H_
#define FEDGE_COMMON_PRIVACY_GAUSSIAN_NOISE_H_

// The Gaussian noise of DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018,
// "Learning Differentially Private Recurrent Language Models"), drawn from a
// cryptographic source: the AES-256-CTR keystream of crypto::AesCtrPrg. Noise
// that an observer could predict (a seeded std::mt19937, a 32-bit generator)
// could be subtracted again, so every random bit comes from the PRG.
//
// Each standard normal comes from the Box-Muller transform (Box, Muller 1958,
// "A Note on the Generation of Random Normal Deviates", Ann. Math. Statist.
// 29(2)): two uniforms u1, u2 in (0, 1) give the independent pair
//   sqrt(-2 ln u1) cos(2 pi u2),  sqrt(-2 ln u1) sin(2 pi u2),
// and both are used. A uniform is the top 53 bits of a little-endian 64-bit
// word of the keystream times 2^-53, a word whose 53 bits are all zero being
// skipped, so the sequence for a seed is the same on every machine. Because
// u1 >= 2^-53, no sample exceeds sqrt(106 ln 2) ~ 8.57 in magnitude, a
// truncation at a probability below 1e-17.
//
// This is the textbook floating-point sampler (as in TensorFlow Privacy and
// Opacus). It is not hardened against the floating-point attacks of Mironov
// 2012 ("On Significance of the Least Significant Bits for Differential
// Privacy", CCS) and Jin, McMurtry, Rubinstein, Ohrimenko 2022 ("Are We There
// Yet? Timing and Floating-Point Attacks on Differential Privacy Systems",
// IEEE S&P), which read the low bits of a noised value to tell inputs apart;
// the noised sums fedge releases are rounded to float, which blunts but does
// not provably close that channel.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/crypto/prg.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::privacy {

class GaussianNoise {
 public:
  // A source whose sequence is fixed by `seed`, which must be exactly
  // crypto::kPrgSeedBytes (32) bytes; InvalidArgument otherwise. For fresh
  // noise pass crypto::SecretBytes::Random(32); a fixed seed reproduces a run
  // (simulations, tests) and must never be reused for noise that is released.
  static absl::StatusOr<GaussianNoise> Create(const crypto::SecretBytes& seed);

  GaussianNoise(GaussianNoise&&) = default;
  GaussianNoise& operator=(GaussianNoise&&) = default;
  GaussianNoise(const GaussianNoise&) = delete;
  GaussianNoise& operator=(const GaussianNoise&) = delete;

  // The next standard normal N(0, 1) sample of the sequence.
  double Next();

  // values[i] += stddev * N(0, 1) for every i, each with a fresh sample, in
  // order, computed in double and rounded to float. A stddev of 0 leaves
  // `values` bit-for-bit unchanged and draws nothing. InvalidArgument for a
  // negative or non-finite stddev; `values` is unchanged then.
  absl::Status Add(double stddev, absl::Span<float> values);

 private:
  explicit GaussianNoise(std::unique_ptr<crypto::AesCtrPrg> prg);

  // The next 64-bit word of the keystream, read little-endian.
  uint64_t NextWord();
  // The next uniform in (0, 1), open at both ends.
  double NextUniform();

  std::unique_ptr<crypto::AesCtrPrg> prg_;
  // Keystream generated ahead in blocks, since one PRG call per word costs
  // more than the arithmetic. Wiped on destruction: whoever learns it learns
  // the noise.
  crypto::SecretBytes buffer_;
  size_t buffer_pos_;
  // The sine half of the last Box-Muller pair, returned by the next Next().
  bool has_spare_ = false;
  double spare_ = 0.0;
};

namespace internal {

// The uniform the top 53 bits of `word` give, (word >> 11) * 2^-53, which is
// in [2^-53, 1 - 2^-53]; or 0 if those bits are all zero, meaning the caller
// must draw another word. Exposed for tests.
double UniformFromWord(uint64_t word);

}  // namespace internal
}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_GAUSSIAN_NOISE_H_
