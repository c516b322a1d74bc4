#include "common/privacy/adaptive_clipping.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/base/casts.h"
#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fedge::privacy {
namespace {

// Serialized state, little-endian:
//
//   offset 0  u8   format version (kStateVersion)
//   offset 1  u64  rounds ended
//   offset 9  f64  clip norm (IEEE 754 bits)
//
// No checksum: like the server optimiser's state, the blob is stored inside
// a record of the state journal, which frames it with a length and a
// checksum. The exact length is still checked.
constexpr uint8_t kStateVersion = 1;
constexpr size_t kStateBytes = 17;

bool IsPositiveFinite(double x) { return x > 0.0 && std::isfinite(x); }

double SquaredNorm(absl::Span<const float> values) {
  double sum = 0.0;
  for (float v : values) sum += static_cast<double>(v) * v;
  return sum;
}

void Scale(absl::Span<float> values, double factor) {
  for (float& v : values) v = static_cast<float>(v * factor);
}

}  // namespace

double RecommendedCountNoiseStddev(uint32_t expected_clients_per_round) {
  return expected_clients_per_round / 20.0;
}

absl::StatusOr<double> AdaptiveUpdateNoiseMultiplier(
    double noise_multiplier, double count_noise_stddev) {
  if (!(noise_multiplier >= 0.0) || !std::isfinite(noise_multiplier)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "noise multiplier must be finite and >= 0, got ", noise_multiplier));
  }
  if (!(count_noise_stddev >= 0.0) || !std::isfinite(count_noise_stddev)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count noise standard deviation (sigma_b) must be finite and >= 0, "
        "got ",
        count_noise_stddev));
  }
  if (noise_multiplier == 0.0) return 0.0;
  // z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2) = z / sqrt(1 - r^2) with
  // r = z / (2 sigma_b): the same value without squaring a small z into
  // underflow, and with 1 - r^2 formed as (1 - r)(1 + r) to keep its digits
  // when r is near 1.
  const double r = noise_multiplier / (2.0 * count_noise_stddev);
  if (!(r < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "count noise standard deviation sigma_b = ", count_noise_stddev,
        " is too small for noise multiplier z = ", noise_multiplier,
        ": the clipped-update count alone would spend the whole privacy "
        "budget. sigma_b must be greater than z / 2 = ",
        noise_multiplier / 2.0,
        " (the update noise grows without bound as "
        "sigma_b approaches z / 2; 2 z or more costs little)"));
  }
  return noise_multiplier / std::sqrt((1.0 - r) * (1.0 + r));
}

absl::Status ValidateAdaptiveClippingConfig(
    const AdaptiveClippingConfig& config) {
  if (!IsPositiveFinite(config.initial_clip_norm)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping initial_clip_norm must be positive and finite, "
        "got ",
        config.initial_clip_norm));
  }
  if (!(config.target_quantile > 0.0 && config.target_quantile < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping target_quantile must be in (0, 1), got ",
        config.target_quantile, " (0.5, the median, is the usual choice)"));
  }
  if (!IsPositiveFinite(config.clip_learning_rate)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping clip_learning_rate must be positive and finite, "
        "got ",
        config.clip_learning_rate, " (0.2 is the usual choice)"));
  }
  if (config.expected_clients_per_round == 0) {
    return absl::InvalidArgumentError(
        "adaptive clipping expected_clients_per_round must be at least 1");
  }
  if (!(config.noise_multiplier >= 0.0) ||
      !std::isfinite(config.noise_multiplier)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping noise_multiplier must be finite and >= 0, got ",
        config.noise_multiplier));
  }
  if (!(config.count_noise_stddev >= 0.0) ||
      !std::isfinite(config.count_noise_stddev)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping count_noise_stddev must be finite and >= 0, got ",
        config.count_noise_stddev));
  }
  absl::StatusOr<double> update_multiplier = AdaptiveUpdateNoiseMultiplier(
      config.noise_multiplier, config.count_noise_stddev);
  if (!update_multiplier.ok()) {
    // The ranges were checked above: sigma_b is too small for z.
    const double recommended =
        RecommendedCountNoiseStddev(config.expected_clients_per_round);
    const bool recommendation_works =
        2.0 * recommended > config.noise_multiplier;
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping count_noise_stddev: ",
        update_multiplier.status().message(),
        recommendation_works
            ? absl::StrCat("; the recommended expected_clients_per_round / "
                           "20 = ",
                           recommended, " would do")
            : absl::StrCat(
                  "; even the recommended "
                  "expected_clients_per_round / 20 = ",
                  recommended,
                  " is too small: this noise_multiplier needs more "
                  "clients per round or a larger count_noise_stddev")));
  }
  return absl::OkStatus();
}

absl::StatusOr<AdaptiveClipper> AdaptiveClipper::Create(
    const AdaptiveClippingConfig& config) {
  if (absl::Status status = ValidateAdaptiveClippingConfig(config);
      !status.ok()) {
    return status;
  }
  // Cannot fail: the config was validated.
  const double update_multiplier = *AdaptiveUpdateNoiseMultiplier(
      config.noise_multiplier, config.count_noise_stddev);
  return AdaptiveClipper(config, update_multiplier);
}

AdaptiveClipper::AdaptiveClipper(const AdaptiveClippingConfig& config,
                                 double update_noise_multiplier)
    : config_(config),
      update_noise_multiplier_(update_noise_multiplier),
      clip_norm_(config.initial_clip_norm) {}

absl::Status AdaptiveClipper::EndRound(uint32_t clients_at_or_below,
                                       uint32_t clients, double count_noise) {
  if (clients_at_or_below > clients) {
    return absl::InvalidArgumentError(
        absl::StrCat("adaptive clipping: ", clients_at_or_below,
                     " clients at or below the clip norm, but only ", clients,
                     " clients in the round"));
  }
  if (!std::isfinite(count_noise)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "adaptive clipping: count noise must be finite, got ", count_noise));
  }
  // sum_i (b_i - 1/2): the count with sensitivity 1/2 that the noise covers.
  const double centred_count =
      static_cast<double>(clients_at_or_below) - 0.5 * clients;
  const double unclipped_fraction = std::clamp(
      (centred_count + count_noise) / config_.expected_clients_per_round + 0.5,
      0.0, 1.0);
  const double next =
      clip_norm_ * std::exp(-config_.clip_learning_rate *
                            (unclipped_fraction - config_.target_quantile));
  // A run would need thousands of rounds pushing one way to leave the
  // doubles; keep C usable (positive, finite) even then.
  clip_norm_ = std::clamp(next, std::numeric_limits<double>::min(),
                          std::numeric_limits<double>::max());
  ++rounds_;
  return absl::OkStatus();
}

std::string AdaptiveClipper::SerializeState() const {
  std::string out(kStateBytes, '\0');
  out[0] = static_cast<char>(kStateVersion);
  absl::little_endian::Store64(out.data() + 1, rounds_);
  absl::little_endian::Store64(out.data() + 9,
                               absl::bit_cast<uint64_t>(clip_norm_));
  return out;
}

absl::Status AdaptiveClipper::RestoreState(absl::string_view bytes) {
  if (bytes.size() != kStateBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("adaptive clipping state is ", bytes.size(),
                     " bytes, expected ", kStateBytes));
  }
  const uint8_t version = static_cast<uint8_t>(bytes[0]);
  if (version != kStateVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("adaptive clipping state has format version ", version,
                     "; this build reads version ", kStateVersion));
  }
  const uint64_t rounds = absl::little_endian::Load64(bytes.data() + 1);
  const double clip_norm =
      absl::bit_cast<double>(absl::little_endian::Load64(bytes.data() + 9));
  if (!IsPositiveFinite(clip_norm)) {
    return absl::InvalidArgumentError(
        absl::StrCat("adaptive clipping state holds clip norm ", clip_norm,
                     ", not a positive finite number; the state is corrupt"));
  }
  rounds_ = rounds;
  clip_norm_ = clip_norm;
  return absl::OkStatus();
}

double ClipToNorm(absl::Span<float> delta, double clip_norm) {
  const double norm = std::sqrt(SquaredNorm(delta));
  if (!std::isfinite(norm)) return norm;
  if (!(clip_norm > 0.0)) {
    std::fill(delta.begin(), delta.end(), 0.0f);
    return norm;
  }
  if (norm <= clip_norm) return norm;
  Scale(delta, clip_norm / norm);
  // Rounding each value to float can leave the norm a part in 1e7 above the
  // bound, and the bound is what the privacy guarantee rests on. Further
  // passes scale by the excess and a margin of 1, 4, then 16 float ulps
  // (2^-24 each), which brings the norm under at the first try in practice;
  // should it somehow not, zeroing is always within the bound.
  double margin = 0x1p-24;
  for (int pass = 0; pass < 3; ++pass, margin *= 4.0) {
    const double clipped = std::sqrt(SquaredNorm(delta));
    if (clipped <= clip_norm) return norm;
    Scale(delta, clip_norm / clipped * (1.0 - margin));
  }
  if (std::sqrt(SquaredNorm(delta)) > clip_norm) {
    std::fill(delta.begin(), delta.end(), 0.0f);
  }
  return norm;
}

}  // namespace fedge::privacy
