#ifndef FEDGE_SERVER_DIFFERENTIAL_PRIVACY_H_
#define FEDGE_SERVER_DIFFERENTIAL_PRIVACY_H_

// Differential privacy on the aggregator (`privacy:` in the server config,
// docs/privacy.md): DP-FedAvg with the Gaussian mechanism.
//
// Every round each accepted update counts once and is clipped to L2 norm S;
// Gaussian noise N(0, (z·S)²) per coordinate is added to their sum.
//  - central: the server clips (Round, RoundOptions::clip_norm) and adds the
//    noise here before the mean is taken. With adaptive clipping (Andrew et
//    al., 2021) S follows a privately estimated quantile of the update norms.
//  - distributed: each client clips and adds N(0, (z·S)²/t) before secure
//    aggregation, t being the fewest clients whose inputs an unmasked sum
//    holds; the server adds nothing and never sees a noiseless sum.
//
// A ledger records each committed round's sampling rate q (cohort /
// clients connected) and noise multiplier; the RDP accountant turns it into
// (ε, δ). Before a round starts, EpsilonAfter says what it would bring the
// total to, so the coordinator can end the run instead of exceeding the
// budget. The ledger is saved with each checkpoint (round_state.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config/server_config.h"
#include "common/privacy/accountant.h"
#include "common/privacy/adaptive_clipping.h"
#include "common/privacy/gaussian_noise.h"
#include "common/tensor/parameter_set.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::server {

class DifferentialPrivacy {
 public:
  // `expected_cohort` sizes adaptive clipping's count noise (cohort / 20
  // unless configured). InvalidArgument if the parameters do not fit
  // together (e.g. count noise too small for the noise multiplier).
  static absl::StatusOr<std::unique_ptr<DifferentialPrivacy>> Make(
      const config::PrivacyConfig& config, uint32_t expected_cohort);

  const config::PrivacyConfig& config() const { return config_; }

  // S for the next round (it moves with adaptive clipping).
  double clip_norm() const;

  // distributed: the standard deviation of one client's noise share when
  // an unmasked sum holds at least `threshold` inputs, z·S/√threshold.
  double NoiseShareStddev(uint32_t threshold) const;

  // distributed: the per-coordinate range secure aggregation quantizes
  // inputs to, S + 8·NoiseShareStddev(threshold). A clipped delta plus its
  // noise share leaves it with probability below 1e-15 per coordinate, so
  // quantization clips nothing in practice, and the ring, sized for the
  // range, cannot wrap.
  double SecAggClipRange(uint32_t threshold) const;

  // The run's ε so far, at the configured δ (0 before any round).
  absl::StatusOr<double> Epsilon() const;

  // ε if one more round with sampling rate `q` were committed.
  absl::StatusOr<double> EpsilonAfter(double q) const;

  // central: adds the noise to the round's mean `mean` = base + sum / n of
  // `updates` clipped updates, i.e. N(0, (z_Δ·S / n)²) per coordinate, and
  // moves an adaptive S by how many of them were within it
  // (`within_clip`).
  absl::Status AddCentralNoise(const tensor::ParameterSet& base,
                               tensor::ParameterSet* mean, uint32_t updates,
                               uint32_t within_clip);

  // Records a committed round with sampling rate `q`; returns the facts the
  // audit log records.
  absl::StatusOr<v1::PrivacySpent> Account(double q);

  // The ledger (rounds, and an adaptive S) as text, and back. RestoreState
  // is InvalidArgument for text it cannot read.
  std::string SerializeState() const;
  absl::Status RestoreState(absl::string_view text);

 private:
  DifferentialPrivacy(const config::PrivacyConfig& config,
                      std::optional<privacy::AdaptiveClipper> clipper,
                      privacy::GaussianNoise noise);

  struct LedgerRound {
    double q;
    double noise_multiplier;
  };
  absl::StatusOr<double> EpsilonOf(
      const privacy::RdpAccountant& accountant) const;

  config::PrivacyConfig config_;
  std::optional<privacy::AdaptiveClipper> clipper_;
  privacy::GaussianNoise noise_;
  std::vector<LedgerRound> ledger_;
  // The ledger composed, kept up to date round by round (a round costs one
  // RDP evaluation, not one per round so far).
  privacy::RdpAccountant accountant_;
  // The clip norm AddCentralNoise applied, until Account reports it.
  double applied_clip_norm_ = 0;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_DIFFERENTIAL_PRIVACY_H_
