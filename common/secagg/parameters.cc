#include "common/secagg/parameters.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fedge::secagg {
namespace {

// Statistical security and correctness, in bits (Bell et al. use 40 / 20).
constexpr double kSecurityBits = 40;
constexpr double kCorrectnessBits = 20;
// Guards the floor/ceil of rate × n against floating point error.
constexpr double kEpsilon = 1e-12;
// Fewer quantization levels than this is too coarse to train with.
constexpr uint64_t kMinLevels = 256;

// log C(n, k).
double LogChoose(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// Hypergeometric distribution: draws of `draws` from `total` items of which
// `marked` are marked; the number of marked ones drawn.
class Hypergeometric {
 public:
  Hypergeometric(int total, int marked, int draws)
      : lo_(std::max(0, draws - (total - marked))),
        hi_(std::min(draws, marked)) {
    for (int x = lo_; x <= hi_; ++x) {
      pmf_.push_back(std::exp(LogChoose(marked, x) +
                              LogChoose(total - marked, draws - x) -
                              LogChoose(total, draws)));
    }
  }
  // Pr[X <= x].
  double Cdf(int x) const {
    double sum = 0;
    for (int v = lo_; v <= std::min(x, hi_); ++v) sum += pmf_[v - lo_];
    return sum;
  }
  // Smallest x with Pr[X > x] <= p (upper tail).
  int UpperQuantile(double p) const {
    double tail = 0;
    for (int x = hi_; x >= lo_; --x) {
      tail += pmf_[x - lo_];
      if (tail > p) return x;
    }
    return lo_ - 1;
  }
  // Largest x with Pr[X < x] <= p (lower tail).
  int LowerQuantile(double p) const {
    double below = 0;
    for (int x = lo_; x <= hi_; ++x) {
      if (below + pmf_[x - lo_] > p) return x;
      below += pmf_[x - lo_];
    }
    return hi_;
  }

 private:
  int lo_, hi_;
  std::vector<double> pmf_;
};

// Union bound on the probability that removing the bad (corrupt or dropped)
// clients disconnects a random Harary graph of degree k: a disconnection
// needs k/2 consecutive bad clients on the ring at two places.
double LogProbDisconnected(int n, int k, int bad) {
  if (k > bad) return -INFINITY;
  double log_pairs =
      std::log(n) + std::log(std::max(1, n - k - 1)) - std::log(2);
  return log_pairs + std::lgamma(bad + 1) + std::lgamma(n - k + 1) -
         std::lgamma(n + 1) - std::lgamma(bad - k + 1);
}

}  // namespace

absl::StatusOr<GraphParameters> ChooseGraphParameters(size_t n_clients,
                                                      double dropout_rate,
                                                      double corruption_rate) {
  if (n_clients < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secure aggregation needs at least 2 clients in a round, got ",
        n_clients));
  }
  if (!(dropout_rate >= 0 && dropout_rate < 1) ||
      !(corruption_rate >= 0 && corruption_rate < 1) ||
      dropout_rate + corruption_rate > 0.9) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "secure_aggregation: dropout_rate (%g) and corruption_rate (%g) must "
        "each be in [0, 1) and sum to at most 0.9",
        dropout_rate, corruption_rate));
  }
  const int n = static_cast<int>(n_clients);
  const int corrupt =
      static_cast<int>(std::floor(corruption_rate * n + kEpsilon));
  const int dropped = static_cast<int>(std::floor(dropout_rate * n + kEpsilon));
  const int surviving = n - dropped;
  const double security_per_event = std::pow(2.0, -(kSecurityBits + 1));
  const double correctness = std::pow(2.0, -kCorrectnessBits);

  for (int k = 2; k < n - 1; k += 2) {
    if (LogProbDisconnected(n, k, corrupt + dropped) >=
        std::log(security_per_event)) {
      continue;
    }
    // t1: a client has more than t1 corrupt neighbours only with negligible
    // probability; t2: it keeps at least t2 surviving neighbours except with
    // probability 2^-20 (both per client, hence the division by n).
    int t1 =
        Hypergeometric(n, corrupt, k).UpperQuantile(security_per_event / n);
    int t2 = Hypergeometric(n, surviving, k).LowerQuantile(correctness / n);
    // t must exceed t1 (security) and not exceed t2 (correctness); Shamir
    // needs t >= 2 to hide anything.
    const int t = std::max(t1 + 1, 2);
    if (t <= t2) {
      GraphParameters p;
      p.degree = static_cast<uint32_t>(k);
      p.threshold = static_cast<uint32_t>(t);
      return p;
    }
  }
  // The complete graph: every client has n - 1 neighbours, at most
  // `corrupt` of them corrupt and at least surviving - 1 surviving.
  GraphParameters p;
  p.complete = true;
  p.degree = static_cast<uint32_t>(n - 1);
  int t = std::max(corrupt + 1, 2);
  if (t > surviving - 1) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "secure aggregation cannot tolerate %g dropouts and %g corrupt "
        "clients in a round of %d: it would need at least %d surviving "
        "neighbours per client; lower secure_aggregation.dropout_rate or "
        "corruption_rate, or select more clients",
        dropout_rate, corruption_rate, n, t));
  }
  p.threshold = static_cast<uint32_t>(t);
  return p;
}

absl::Status ValidateConfig(const SecAggConfig& c) {
  if (c.ring_bits < 8 || c.ring_bits > 62) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secure_aggregation.bits must be between 8 and 62, got ", c.ring_bits));
  }
  if (!(c.clip_range > 0) || !std::isfinite(c.clip_range)) {
    return absl::InvalidArgumentError(
        "secure_aggregation.clip_range must be a positive number");
  }
  if (c.max_weight < 1) {
    return absl::InvalidArgumentError(
        "secure_aggregation.max_weight must be at least 1");
  }
  if (c.threshold == 1) {
    return absl::InvalidArgumentError(
        "secure_aggregation.threshold must be at least 2 (0: derive it)");
  }
  if (c.threshold != 0 && c.degree != 0 && c.threshold > c.degree) {
    return absl::InvalidArgumentError(absl::StrCat(
        "secure_aggregation.threshold (", c.threshold,
        ") cannot exceed secure_aggregation.degree (", c.degree, ")"));
  }
  if (!(c.dropout_rate >= 0 && c.dropout_rate < 1) ||
      !(c.corruption_rate >= 0 && c.corruption_rate < 1)) {
    return absl::InvalidArgumentError(
        "secure_aggregation.dropout_rate and corruption_rate must be in [0, "
        "1)");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SecAggParameters> DeriveParameters(
    const SecAggConfig& config, size_t n, uint64_t num_params,
    const std::string& context) {
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  if (n < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secure aggregation needs at least 2 clients in a round, got ", n));
  }
  uint32_t degree = config.degree;
  uint32_t threshold = config.threshold;
  if (degree == 0 || threshold == 0) {
    auto chosen =
        ChooseGraphParameters(n, config.dropout_rate, config.corruption_rate);
    if (!chosen.ok()) return chosen.status();
    if (degree == 0) degree = chosen->degree;
    if (threshold == 0) threshold = std::min(chosen->threshold, degree);
  }
  if (degree >= n) degree = static_cast<uint32_t>(n - 1);
  if (threshold < 2 || threshold > degree) {
    return absl::FailedPreconditionError(
        absl::StrCat("secure aggregation threshold ", threshold,
                     " does not fit a round of ", n, " clients with ", degree,
                     " neighbours each (need 2 <= threshold <= degree)"));
  }
  // The largest value of a sum, n clients × weight W × level L, must stay
  // below 2^b (the summed weights, n × W, are smaller).
  const long double ring = std::ldexp(1.0L, static_cast<int>(config.ring_bits));
  const long double nw =
      static_cast<long double>(n) * static_cast<long double>(config.max_weight);
  long double levels = std::floor((ring - 1) / nw);
  if (levels > static_cast<long double>(uint64_t{1} << 32)) {
    levels = static_cast<long double>(uint64_t{1} << 32);
  }
  if (levels < kMinLevels) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "secure aggregation: %d clients of weight up to %d leave only %d "
        "quantization levels in a %d-bit ring (at least %d are needed); "
        "raise secure_aggregation.bits or lower max_weight",
        n, config.max_weight, static_cast<uint64_t>(levels), config.ring_bits,
        kMinLevels));
  }
  v1::SecAggParameters p;
  p.set_threshold(threshold);
  p.set_degree(degree);
  p.set_ring_bits(config.ring_bits);
  p.set_clip_range(config.clip_range);
  p.set_levels(static_cast<uint64_t>(levels));
  p.set_max_weight(config.max_weight);
  p.set_num_elements(num_params + 1);
  p.set_context(context);
  return p;
}

}  // namespace fedge::secagg
