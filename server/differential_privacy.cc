#include "server/differential_privacy.h"

#include <cmath>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/crypto/secret_bytes.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

constexpr absl::string_view kLedgerHeader = "fedge-privacy-ledger 1";

}  // namespace

absl::StatusOr<std::unique_ptr<DifferentialPrivacy>> DifferentialPrivacy::Make(
    const config::PrivacyConfig& config, uint32_t expected_cohort) {
  std::optional<privacy::AdaptiveClipper> clipper;
  if (config.adaptive_clipping) {
    privacy::AdaptiveClippingConfig ac;
    ac.initial_clip_norm = config.clip_norm;
    ac.target_quantile = config.target_quantile;
    ac.clip_learning_rate = config.clip_learning_rate;
    ac.noise_multiplier = config.noise_multiplier;
    ac.expected_clients_per_round = std::max<uint32_t>(expected_cohort, 1);
    ac.count_noise_stddev = config.count_noise_stddev > 0
                                ? config.count_noise_stddev
                                : privacy::RecommendedCountNoiseStddev(
                                      ac.expected_clients_per_round);
    absl::StatusOr<privacy::AdaptiveClipper> made =
        privacy::AdaptiveClipper::Create(ac);
    if (!made.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("privacy.adaptive_clipping: ", made.status().message(),
                       " (set privacy.count_noise_stddev, or lower "
                       "privacy.noise_multiplier)"));
    }
    clipper.emplace(*std::move(made));
  }
  // The server's noise is fresh from the CSPRNG every run.
  FEDGE_ASSIGN_OR_RETURN(
      privacy::GaussianNoise noise,
      privacy::GaussianNoise::Create(crypto::SecretBytes::Random(32)));
  return std::unique_ptr<DifferentialPrivacy>(
      new DifferentialPrivacy(config, std::move(clipper), std::move(noise)));
}

DifferentialPrivacy::DifferentialPrivacy(
    const config::PrivacyConfig& config,
    std::optional<privacy::AdaptiveClipper> clipper,
    privacy::GaussianNoise noise)
    : config_(config), clipper_(std::move(clipper)), noise_(std::move(noise)) {}

double DifferentialPrivacy::clip_norm() const {
  return clipper_.has_value() ? clipper_->clip_norm() : config_.clip_norm;
}

double DifferentialPrivacy::NoiseShareStddev(uint32_t threshold) const {
  return config_.noise_multiplier * clip_norm() /
         std::sqrt(static_cast<double>(std::max<uint32_t>(threshold, 1)));
}

double DifferentialPrivacy::SecAggClipRange(uint32_t threshold) const {
  return clip_norm() + 8 * NoiseShareStddev(threshold);
}

absl::StatusOr<double> DifferentialPrivacy::EpsilonOf(
    const privacy::RdpAccountant& accountant) const {
  FEDGE_ASSIGN_OR_RETURN(privacy::PrivacySpent spent,
                         accountant.Epsilon(config_.delta));
  return spent.epsilon;
}

absl::StatusOr<double> DifferentialPrivacy::Epsilon() const {
  return EpsilonOf(accountant_);
}

absl::StatusOr<double> DifferentialPrivacy::EpsilonAfter(double q) const {
  privacy::RdpAccountant after = accountant_;
  after.Compose(q, config_.noise_multiplier);
  return EpsilonOf(after);
}

absl::Status DifferentialPrivacy::AddCentralNoise(
    const tensor::ParameterSet& base, tensor::ParameterSet* mean,
    uint32_t updates, uint32_t within_clip) {
  if (!config_.central()) {
    return absl::FailedPreconditionError(
        "the server adds noise only with privacy.mode: central");
  }
  if (updates == 0 || !mean->SameLayout(base)) {
    return absl::InvalidArgumentError(
        "central noise needs a mean of at least one update, shaped like the "
        "model");
  }
  // With adaptive clipping the update sum gets the smaller z_Δ: the noisy
  // count of clipped updates spends the rest (Andrew et al., 2021).
  const double z = clipper_.has_value() ? clipper_->UpdateNoiseMultiplier()
                                        : config_.noise_multiplier;
  const double stddev = z * clip_norm() / static_cast<double>(updates);
  FEDGE_RETURN_IF_ERROR(noise_.Add(stddev, mean->mutable_values()));
  applied_clip_norm_ = clip_norm();
  if (clipper_.has_value()) {
    const double count_noise = clipper_->count_noise_stddev() * noise_.Next();
    FEDGE_RETURN_IF_ERROR(
        clipper_->EndRound(within_clip, updates, count_noise));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::PrivacySpent> DifferentialPrivacy::Account(double q) {
  FEDGE_ASSIGN_OR_RETURN(double before, Epsilon());
  privacy::RdpAccountant next = accountant_;
  next.Compose(q, config_.noise_multiplier);
  FEDGE_ASSIGN_OR_RETURN(double after, EpsilonOf(next));
  accountant_ = std::move(next);
  ledger_.push_back({q, config_.noise_multiplier});
  v1::PrivacySpent spent;
  spent.set_epsilon(after);
  spent.set_delta(config_.delta);
  spent.set_round_epsilon(after - before);
  spent.set_noise_multiplier(config_.noise_multiplier);
  // The norm this round's updates were clipped to (adaptive clipping has
  // already moved clip_norm() on for the next round).
  spent.set_clip_norm(applied_clip_norm_ > 0 ? applied_clip_norm_
                                             : clip_norm());
  applied_clip_norm_ = 0;
  return spent;
}

std::string DifferentialPrivacy::SerializeState() const {
  std::string out = absl::StrCat(kLedgerHeader, "\n");
  if (clipper_.has_value()) {
    absl::StrAppend(&out, "clipper ",
                    absl::BytesToHexString(clipper_->SerializeState()), "\n");
  }
  for (const LedgerRound& r : ledger_) {
    absl::StrAppend(
        &out, absl::StrFormat("round %.17g %.17g\n", r.q, r.noise_multiplier));
  }
  return out;
}

absl::Status DifferentialPrivacy::RestoreState(absl::string_view text) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kLedgerHeader) {
    return absl::InvalidArgumentError("not a fedge privacy ledger");
  }
  std::vector<LedgerRound> ledger;
  std::string clipper_state;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ');
    LedgerRound r;
    if (f.size() == 3 && f[0] == "round" && absl::SimpleAtod(f[1], &r.q) &&
        absl::SimpleAtod(f[2], &r.noise_multiplier)) {
      ledger.push_back(r);
    } else if (f.size() == 2 && f[0] == "clipper") {
      clipper_state = absl::HexStringToBytes(f[1]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("privacy ledger line ", i + 1, " cannot be read"));
    }
  }
  if (clipper_.has_value()) {
    if (clipper_state.empty()) {
      return absl::InvalidArgumentError(
          "the privacy ledger has no adaptive clip norm; it was saved "
          "without adaptive clipping");
    }
    FEDGE_RETURN_IF_ERROR(clipper_->RestoreState(clipper_state));
  }
  privacy::RdpAccountant accountant;
  for (const LedgerRound& r : ledger)
    accountant.Compose(r.q, r.noise_multiplier);
  FEDGE_RETURN_IF_ERROR(accountant.status());
  ledger_ = std::move(ledger);
  accountant_ = std::move(accountant);
  return absl::OkStatus();
}

}  // namespace fedge::server
