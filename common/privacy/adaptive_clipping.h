#ifndef FEDGE_COMMON_PRIVACY_ADAPTIVE_CLIPPING_H_
#define FEDGE_COMMON_PRIVACY_ADAPTIVE_CLIPPING_H_

// Adaptive clipping for DP-FedAvg: Andrew, Thakkar, McMahan, Ramaswamy,
// "Differentially Private Learning with Adaptive Clipping", NeurIPS 2021
// (arXiv:1905.03871). Instead of a clip norm C tuned by hand, the server
// tracks a target quantile gamma of the clients' update norms with a private
// estimate of the fraction of updates that C left unclipped.
//
// One round, with C = clip_norm() fixed for the whole round:
//   1. each client's update is clipped to L2 norm C (ClipToNorm), and the
//      server learns k, how many of the n updates had norm <= C;
//   2. the sum of clipped updates gets N(0, (z_delta C)^2) noise on every
//      coordinate (UpdateNoiseStddev());
//   3. the count gets its own noise xi ~ N(0, sigma_b^2), and EndRound(k, n,
//      xi) moves C geometrically towards the gamma quantile:
//        b = (sum_i (b_i - 1/2) + xi) / m + 1/2,   b_i = [norm_i <= C],
//        C <- C exp(-eta_C (b - gamma)),
//      with m the expected clients per round. When n = m this is
//      b = (k + xi) / n, the fraction of unclipped updates plus noise.
//
// Privacy. Centring each bit at -1/2 or +1/2 gives the count sensitivity 1/2
// when a client is added or removed, against C for the update sum. The two
// releases together are then one Gaussian mechanism with noise multiplier z
// (the paper's privacy analysis of adaptive clipping) exactly when
//   z^-2 = z_delta^-2 + (2 sigma_b)^-2,
// so the accountant (accountant.h) composes each round with z, the
// configured noise_multiplier, and sampling rate q as usual. The divisor is
// the public m, not the round's n: n depends on who took part and would
// itself leak participation. b is clamped to [0, 1] before the update, which
// is post-processing (no privacy cost) and bounds one round's change of C to
// a factor exp(eta_C max(gamma, 1 - gamma)).
//
// The paper's recommended settings: gamma = 0.5 (the median), eta_C = 0.2,
// sigma_b = m / 20. The initial C matters less: the geometric update moves C
// by up to a factor exp(eta_C max(gamma, 1 - gamma)) a round, so at those
// settings a C0 ten times off costs about ln(10) / 0.1 = 23 rounds or more.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fedge::privacy {

struct AdaptiveClippingConfig {
  // C0, the clip norm of the first round; > 0 and finite.
  double initial_clip_norm = 0.1;
  // gamma, the fraction of updates that should be left unclipped; in (0, 1).
  double target_quantile = 0.5;
  // eta_C, the step of the geometric update; > 0 and finite.
  double clip_learning_rate = 0.2;
  // z, the noise multiplier of the pair (update sum, count): the value the
  // privacy accountant is given. >= 0 and finite; 0 means no differential
  // privacy (no update noise; the count noise may then be 0 too).
  double noise_multiplier = 1.0;
  // m, the expected number of clients per round (q times the population
  // under Poisson sampling): the public divisor of the count; >= 1.
  uint32_t expected_clients_per_round = 0;
  // sigma_b, the standard deviation of the count noise; finite, and greater
  // than noise_multiplier / 2 when noise_multiplier > 0.
  // RecommendedCountNoiseStddev gives the paper's choice.
  double count_noise_stddev = 0.0;
};

// The paper's recommended sigma_b: expected_clients_per_round / 20.
double RecommendedCountNoiseStddev(uint32_t expected_clients_per_round);

// z_delta, the noise multiplier for the update sum that leaves room for a
// count noised with std `count_noise_stddev` (sigma_b) within a total of
// `noise_multiplier` (z): z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2), which is
// always at least z. 0 when z = 0. InvalidArgument for a negative or
// non-finite argument, or when (2 sigma_b)^-2 >= z^-2 (sigma_b <= z / 2: the
// count alone would spend the whole budget); the message says how large
// sigma_b must be.
absl::StatusOr<double> AdaptiveUpdateNoiseMultiplier(double noise_multiplier,
                                                     double count_noise_stddev);

// OK if every field of `config` is in its range (see the struct), otherwise
// InvalidArgument naming the field, its value and the range.
absl::Status ValidateAdaptiveClippingConfig(
    const AdaptiveClippingConfig& config);

// The clip norm of a DP-FedAvg run and its update from round to round. Not
// thread-safe.
class AdaptiveClipper {
 public:
  // A clipper at config.initial_clip_norm. InvalidArgument as
  // ValidateAdaptiveClippingConfig.
  static absl::StatusOr<AdaptiveClipper> Create(
      const AdaptiveClippingConfig& config);

  // C, the clip norm for the current round.
  double clip_norm() const { return clip_norm_; }

  // z_delta: the noise multiplier for the update sum (see
  // AdaptiveUpdateNoiseMultiplier). Fixed by the config.
  double UpdateNoiseMultiplier() const { return update_noise_multiplier_; }

  // z_delta * C: the standard deviation of the noise on each coordinate of
  // this round's sum of clipped updates.
  double UpdateNoiseStddev() const {
    return update_noise_multiplier_ * clip_norm_;
  }

  // sigma_b: the standard deviation of the count noise EndRound expects.
  double count_noise_stddev() const { return config_.count_noise_stddev; }

  // Rounds ended so far, including those carried over by RestoreState.
  uint64_t rounds() const { return rounds_; }

  const AdaptiveClippingConfig& config() const { return config_; }

  // Ends a round in which `clients` updates were clipped to clip_norm() and
  // `clients_at_or_below` of them had a norm <= clip_norm() (before
  // clipping), and moves the clip norm as in the file comment.
  // `count_noise` is the round's sample of N(0, sigma_b^2), drawn by the
  // caller (count_noise_stddev() * GaussianNoise::Next()) so that the rule
  // itself is deterministic. The new C stays positive and finite.
  // InvalidArgument if clients_at_or_below > clients or count_noise is not
  // finite; the clip norm and rounds() are unchanged then.
  absl::Status EndRound(uint32_t clients_at_or_below, uint32_t clients,
                        double count_noise);

  // The state (rounds and clip norm) as 17 bytes, so that a restarted server
  // resumes at the adapted clip norm rather than at C0. Versioned and
  // little-endian; see adaptive_clipping.cc.
  std::string SerializeState() const;

  // Replaces the state with one from SerializeState. InvalidArgument if the
  // bytes have the wrong length or format version, or hold a clip norm that
  // is not positive and finite; the state is unchanged then. The config is
  // not part of the state: an operator may change gamma, eta_C, z or sigma_b
  // across a restart.
  absl::Status RestoreState(absl::string_view bytes);

 private:
  AdaptiveClipper(const AdaptiveClippingConfig& config,
                  double update_noise_multiplier);

  AdaptiveClippingConfig config_;
  double update_noise_multiplier_;
  double clip_norm_;
  uint64_t rounds_ = 0;
};

// Scales `delta` in place so that its L2 norm is at most `clip_norm`, and
// returns its L2 norm before clipping (so that the caller can count it as
// at or below the bound). The norm is accumulated in double. A delta already
// within the bound is left untouched; one above it is scaled by
// clip_norm / norm, and its norm is then clip_norm to float precision and
// never measurably above it (a rounding excess is scaled away). A clip_norm
// of 0, below 0 or NaN zeroes the delta: a sensitivity of 0 is the only safe
// reading of a bound that is not a positive number. If `delta` holds an
// infinity or a NaN, the returned norm is not finite and `delta` is left
// unchanged; callers must reject such an update (as
// server/update_validation.h does) rather than aggregate it.
double ClipToNorm(absl::Span<float> delta, double clip_norm);

}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_ADAPTIVE_CLIPPING_H_
