#include "server/strategy/robust_aggregation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

using Updates = absl::Span<const absl::Span<const float>>;

// OK if there is at least one update, all have the length of the first, and
// every value is finite (a NaN has no place in an order, and an infinity
// would make every distance infinite).
absl::Status CheckUpdates(Updates updates) {
  if (updates.empty()) {
    return absl::InvalidArgumentError("no update to aggregate");
  }
  const size_t d = updates[0].size();
  for (size_t i = 0; i < updates.size(); ++i) {
    if (updates[i].size() != d) {
      return absl::InvalidArgumentError(
          absl::StrCat("update ", i, " has ", updates[i].size(),
                       " values, update 0 has ", d));
    }
    for (size_t j = 0; j < d; ++j) {
      if (!std::isfinite(updates[i][j])) {
        return absl::InvalidArgumentError(
            absl::StrCat("update ", i, " value ", j, " is ", updates[i][j]));
      }
    }
  }
  return absl::OkStatus();
}

// OK if `weights` is empty or has one positive finite weight per update.
absl::Status CheckWeights(absl::Span<const double> weights, size_t n) {
  if (weights.empty()) return absl::OkStatus();
  if (weights.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(weights.size(), " weights for ", n,
                     " updates; give one per update "
                     "or none"));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(weights[i] > 0.0 && std::isfinite(weights[i]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight of update ", i, " is ", weights[i],
                       "; weights must be positive and finite"));
    }
  }
  return absl::OkStatus();
}

double WeightOf(absl::Span<const double> weights, size_t i) {
  return weights.empty() ? 1.0 : weights[i];
}

// Squared Euclidean distance, summed in double in coordinate order.
double SquaredDistance(absl::Span<const float> a, absl::Span<const float> b) {
  double sum = 0.0;
  for (size_t j = 0; j < a.size(); ++j) {
    const double diff = static_cast<double>(a[j]) - b[j];
    sum += diff * diff;
  }
  return sum;
}

}  // namespace

absl::StatusOr<std::vector<float>> CoordinateWiseMedian(Updates updates) {
  FEDGE_RETURN_IF_ERROR(CheckUpdates(updates));
  const size_t n = updates.size();
  const size_t d = updates[0].size();
  std::vector<float> out(d);
  std::vector<float> column(n);
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) column[i] = updates[i][j];
    // Equal values are interchangeable here, so the order of updates cannot
    // change the result.
    std::sort(column.begin(), column.end());
    if (n % 2 == 1) {
      out[j] = column[n / 2];
    } else {
      out[j] = static_cast<float>(
          (static_cast<double>(column[n / 2 - 1]) + column[n / 2]) / 2.0);
    }
  }
  return out;
}

absl::StatusOr<std::vector<float>> TrimmedMean(
    Updates updates, double beta, absl::Span<const double> weights) {
  FEDGE_RETURN_IF_ERROR(CheckUpdates(updates));
  if (!(beta >= 0.0 && beta < 0.5)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trimmed mean beta must be in [0, 0.5), got ", beta,
                     " (it is the fraction dropped at each end)"));
  }
  const size_t n = updates.size();
  FEDGE_RETURN_IF_ERROR(CheckWeights(weights, n));
  const size_t d = updates[0].size();
  // The clamp keeps one value when the tolerance lifts a beta just below 0.5
  // to exactly n/2.
  const size_t k = std::min(
      static_cast<size_t>(std::floor(beta * static_cast<double>(n) + 1e-9)),
      (n - 1) / 2);

  std::vector<float> out(d);
  std::vector<std::pair<float, size_t>> column(n);  // (value, update index)
  for (size_t j = 0; j < d; ++j) {
    for (size_t i = 0; i < n; ++i) column[i] = {updates[i][j], i};
    std::sort(column.begin(), column.end());
    // Summed in sorted order: with equal weights the kept values, and so the
    // sum, do not depend on the order the updates came in, bit for bit.
    double sum = 0.0;
    double total_weight = 0.0;
    for (size_t r = k; r < n - k; ++r) {
      const double w = WeightOf(weights, column[r].second);
      sum += w * column[r].first;
      total_weight += w;
    }
    out[j] = static_cast<float>(sum / total_weight);
  }
  return out;
}

absl::StatusOr<std::vector<size_t>> MultiKrumSelect(Updates updates,
                                                    int num_byzantine,
                                                    int num_selected) {
  FEDGE_RETURN_IF_ERROR(CheckUpdates(updates));
  const size_t n = updates.size();
  if (num_byzantine < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Krum's number of Byzantine updates f must be >= 0, got ",
                     num_byzantine));
  }
  const size_t f = static_cast<size_t>(num_byzantine);
  if (n <= 2 * f + 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Krum with f = ", f, " needs more than 2f + 2 = ", 2 * f + 2,
        " updates, got ", n, "; lower f or wait for more clients"));
  }
  if (num_selected < 1 || static_cast<size_t>(num_selected) > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("Multi-Krum's number of selected updates m must be in "
                     "[1, ",
                     n, "] (the number of updates), got ", num_selected));
  }

  std::vector<double> dist(n * n, 0.0);
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = a + 1; b < n; ++b) {
      dist[a * n + b] = dist[b * n + a] =
          SquaredDistance(updates[a], updates[b]);
    }
  }
  const size_t neighbours = n - f - 2;  // >= 1 since n > 2f + 2
  std::vector<double> score(n);
  std::vector<double> others;
  others.reserve(n - 1);
  for (size_t a = 0; a < n; ++a) {
    others.clear();
    for (size_t b = 0; b < n; ++b) {
      if (b != a) others.push_back(dist[a * n + b]);
    }
    std::partial_sort(others.begin(), others.begin() + neighbours,
                      others.end());
    score[a] =
        std::accumulate(others.begin(), others.begin() + neighbours, 0.0);
  }

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] < score[b]; });
  order.resize(static_cast<size_t>(num_selected));
  return order;
}

absl::StatusOr<std::vector<float>> Krum(Updates updates, int num_byzantine) {
  FEDGE_ASSIGN_OR_RETURN(std::vector<size_t> best,
                         MultiKrumSelect(updates, num_byzantine, 1));
  absl::Span<const float> chosen = updates[best[0]];
  return std::vector<float>(chosen.begin(), chosen.end());
}

absl::StatusOr<std::vector<float>> MultiKrum(Updates updates, int num_byzantine,
                                             int num_selected,
                                             absl::Span<const double> weights) {
  // Checked first: the selection is the expensive part.
  FEDGE_RETURN_IF_ERROR(CheckWeights(weights, updates.size()));
  FEDGE_ASSIGN_OR_RETURN(std::vector<size_t> selected,
                         MultiKrumSelect(updates, num_byzantine, num_selected));
  const size_t d = updates[0].size();
  std::vector<double> sum(d, 0.0);
  double total_weight = 0.0;
  for (size_t i : selected) {
    const double w = WeightOf(weights, i);
    for (size_t j = 0; j < d; ++j) sum[j] += w * updates[i][j];
    total_weight += w;
  }
  std::vector<float> out(d);
  for (size_t j = 0; j < d; ++j) {
    out[j] = static_cast<float>(sum[j] / total_weight);
  }
  return out;
}

}  // namespace fedge::server
