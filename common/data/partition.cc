#include "common/data/partition.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/data/random.h"

namespace fedge::data {
namespace {

// Dirichlet draws are cheap (classes × clients gamma draws an attempt), so
// many attempts cost little; past this, min_size is deemed unreachable.
constexpr int kMaxDirichletAttempts = 1000;

// Fisher–Yates, from the last position down, with unbiased integer draws.
void Shuffle(std::vector<size_t>& v, SplitMix64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.UniformInt(i));
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<std::vector<size_t>> PartitionIid(size_t n, size_t count,
                                              SplitMix64& rng) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Shuffle(order, rng);
  std::vector<std::vector<size_t>> parts(count);
  const size_t base = n / count;
  const size_t extra = n % count;  // the first `extra` clients get one more
  size_t begin = 0;
  for (size_t k = 0; k < count; ++k) {
    const size_t size = base + (k < extra ? 1 : 0);
    parts[k].assign(order.begin() + begin, order.begin() + begin + size);
    std::sort(parts[k].begin(), parts[k].end());
    begin += size;
  }
  return parts;
}

// Client proportions ~ Dirichlet(alpha, ..., alpha), computed from log-gamma
// draws so that tiny alphas (whose gamma draws underflow) still normalise.
void DrawDirichlet(double alpha, SplitMix64& rng, std::vector<double>& out) {
  double max_log = -HUGE_VAL;
  for (double& x : out) {
    x = rng.LogGamma(alpha);
    max_log = std::max(max_log, x);
  }
  if (max_log == -HUGE_VAL) {
    // Only for alphas so small (< ~1e-300) that every log draw overflowed:
    // the Dirichlet's limit as alpha -> 0, all mass on one random client.
    std::fill(out.begin(), out.end(), 0.0);
    out[rng.UniformInt(out.size())] = 1.0;
    return;
  }
  double sum = 0.0;
  for (double& x : out) {
    x = std::exp(x - max_log);  // the largest becomes 1: sum >= 1
    sum += x;
  }
  for (double& x : out) x /= sum;
}

// Cut points splitting `n` items by `proportions`: item range of client k is
// [cuts[k], cuts[k + 1]). Floors of the cumulative shares, the last pinned
// to n, so rounding never loses or duplicates an item.
void CutPoints(const std::vector<double>& proportions, size_t n,
               std::vector<size_t>& cuts) {
  const size_t count = proportions.size();
  cuts.assign(count + 1, 0);
  double cumulative = 0.0;
  for (size_t k = 0; k + 1 < count; ++k) {
    cumulative += proportions[k];
    const double at = std::floor(cumulative * static_cast<double>(n));
    cuts[k + 1] = std::max(cuts[k], std::min(n, static_cast<size_t>(at)));
  }
  cuts[count] = n;
}

absl::StatusOr<std::vector<std::vector<size_t>>> PartitionDirichlet(
    absl::Span<const int64_t> labels, int64_t num_classes,
    const PartitionSpec& spec, SplitMix64& rng) {
  const size_t count = spec.count;
  const size_t num_classes_u = static_cast<size_t>(num_classes);
  std::vector<std::vector<size_t>> by_class(num_classes_u);
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);

  // cuts[c] splits class c among the clients.
  std::vector<std::vector<size_t>> cuts(num_classes_u);
  std::vector<double> proportions(count);
  std::vector<size_t> sizes(count);
  bool accepted = false;
  int attempt = 0;
  size_t smallest = 0;
  while (!accepted && attempt < kMaxDirichletAttempts) {
    ++attempt;
    std::fill(sizes.begin(), sizes.end(), 0);
    for (size_t c = 0; c < num_classes_u; ++c) {
      DrawDirichlet(spec.alpha, rng, proportions);
      CutPoints(proportions, by_class[c].size(), cuts[c]);
      for (size_t k = 0; k < count; ++k)
        sizes[k] += cuts[c][k + 1] - cuts[c][k];
    }
    smallest = *std::min_element(sizes.begin(), sizes.end());
    accepted = smallest >= spec.min_size;
  }
  if (!accepted) {
    return absl::InvalidArgumentError(
        absl::StrCat("Dirichlet partition (alpha ", spec.alpha, ", ", count,
                     " clients, seed ", spec.seed, ") of ", labels.size(),
                     " examples did not give every client min_size ",
                     spec.min_size, " examples in ", kMaxDirichletAttempts,
                     " attempts (the last gave a client ", smallest,
                     "); lower min_size, raise alpha or use fewer clients"));
  }

  std::vector<std::vector<size_t>> parts(count);
  for (size_t k = 0; k < count; ++k) parts[k].reserve(sizes[k]);
  for (size_t c = 0; c < num_classes_u; ++c) {
    Shuffle(by_class[c], rng);
    for (size_t k = 0; k < count; ++k) {
      parts[k].insert(parts[k].end(), by_class[c].begin() + cuts[c][k],
                      by_class[c].begin() + cuts[c][k + 1]);
    }
  }
  for (std::vector<size_t>& part : parts) std::sort(part.begin(), part.end());
  return parts;
}

}  // namespace

absl::StatusOr<PartitionScheme> ParsePartitionScheme(const std::string& name) {
  if (name == "iid") return PartitionScheme::kIid;
  if (name == "dirichlet") return PartitionScheme::kDirichlet;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown partition scheme \"", name, "\": use \"iid\" or \"dirichlet\""));
}

std::string PartitionSchemeName(PartitionScheme scheme) {
  switch (scheme) {
    case PartitionScheme::kIid:
      return "iid";
    case PartitionScheme::kDirichlet:
      return "dirichlet";
  }
  return "unknown";
}

absl::StatusOr<std::vector<std::vector<size_t>>> Partition(
    absl::Span<const int64_t> labels, int64_t num_classes,
    const PartitionSpec& spec) {
  const size_t n = labels.size();
  if (spec.count == 0) {
    return absl::InvalidArgumentError(
        "partition count is 0; it must be at least 1 client");
  }
  SplitMix64 rng(spec.seed);
  if (spec.scheme == PartitionScheme::kIid) {
    if (n < spec.count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "IID partition of ", n, " examples into ", spec.count,
          " clients would leave clients empty; use at most ", n, " clients"));
    }
    return PartitionIid(n, spec.count, rng);
  }

  if (!(spec.alpha > 0.0) || !std::isfinite(spec.alpha)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Dirichlet alpha ", spec.alpha,
        " is invalid; it must be a finite number > 0 (small = skewed, "
        "large = near IID)"));
  }
  if (num_classes <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Dirichlet partition needs num_classes >= 1, got ", num_classes));
  }
  for (size_t i = 0; i < n; ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      return absl::InvalidArgumentError(
          absl::StrCat("label ", labels[i], " of example ", i,
                       " is outside [0, ", num_classes, ")"));
    }
  }
  // count × min_size > n, written without overflow.
  const size_t needed_per_client = std::max<size_t>(spec.min_size, 1);
  if (n / spec.count < needed_per_client) {
    return absl::InvalidArgumentError(
        absl::StrCat("Dirichlet partition of ", n, " examples into ",
                     spec.count, " clients cannot give each client at least ",
                     needed_per_client, " examples (min_size ", spec.min_size,
                     "); lower min_size or use fewer clients"));
  }
  return PartitionDirichlet(labels, num_classes, spec, rng);
}

}  // namespace fedge::data
