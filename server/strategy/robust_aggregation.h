#ifndef FEDGE_SERVER_STRATEGY_ROBUST_AGGREGATION_H_
#define FEDGE_SERVER_STRATEGY_ROBUST_AGGREGATION_H_

// Aggregation rules that tolerate a minority of arbitrary ("Byzantine")
// updates, in place of the mean. They need each client's update on its own,
// so they exist only on the plaintext path: under secure aggregation the
// server sees nothing but the sum.
//
// Every rule takes the round's updates as flat deltas of one length (a
// ParameterSetView's `values`) and returns the aggregated delta, to be
// applied like FedAvg's mean (e.g. by a ServerOptimizer). Every rule fails
// with InvalidArgument, naming the problem, if there is no update, the
// updates differ in length, a value is not finite, or a parameter is out of
// range. Results depend only on the updates and parameters; ties are broken
// by update index, lower first.
//
// Weights. The median and Krum take no weights: each returns one of the
// clients' values (or the midpoint of two), and letting a client's claimed
// example count pull that choice would hand the choice to whoever claims the
// most. The trimmed mean and Multi-Krum choose unweighted, then average what
// survived; an optional weight per update (e.g. its example count, capped
// upstream) weights that average. Without weights they are the rules as
// published.

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fedge::server {

// Coordinate-wise median (Yin et al., "Byzantine-Robust Distributed Learning:
// Towards Optimal Statistical Rates", ICML 2018): for each coordinate, the
// median of the updates' values there; for an even count, the mean of the
// two middle values. Tolerates fewer than half the updates being arbitrary.
absl::StatusOr<std::vector<float>> CoordinateWiseMedian(
    absl::Span<const absl::Span<const float>> updates);

// Coordinate-wise trimmed mean (Yin et al., 2018): for each coordinate, drops
// the k = ⌊beta·n⌋ largest and k smallest of the n values and averages the
// rest. `beta` must be in [0, 0.5), so at least one value is kept; beta = 0
// is the plain mean. (beta·n is taken with a tolerance of 1e-9, so that a
// decimal like 0.3 with n = 10 trims 3, not 2.) `weights` is empty or one
// positive finite weight per update; when a coordinate has equal values at
// the edge of the trimmed range, the lower index counts as the smaller.
absl::StatusOr<std::vector<float>> TrimmedMean(
    absl::Span<const absl::Span<const float>> updates, double beta,
    absl::Span<const double> weights = {});

// Multi-Krum's selection (Blanchard et al., "Machine Learning with
// Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017): scores
// each update by the sum of its squared Euclidean distances to its
// n − f − 2 nearest other updates and returns the indices of the
// `num_selected` lowest scores, best first. Requires 0 <= f =
// `num_byzantine` and n > 2f + 2, and 1 <= num_selected <= n. Distances are
// computed in double; the cost is O(n²·d) time and O(n²) memory.
absl::StatusOr<std::vector<size_t>> MultiKrumSelect(
    absl::Span<const absl::Span<const float>> updates, int num_byzantine,
    int num_selected);

// Krum: the update with the lowest score (a copy of it).
absl::StatusOr<std::vector<float>> Krum(
    absl::Span<const absl::Span<const float>> updates, int num_byzantine);

// Multi-Krum: the mean of the `num_selected` (m) best-scoring updates, scored
// once as in the paper. The paper allows any m in [1, n]; only m <= n − f
// can exclude all f Byzantine updates. `weights` is empty or one positive
// finite weight per update, and weights the mean of the selected ones.
absl::StatusOr<std::vector<float>> MultiKrum(
    absl::Span<const absl::Span<const float>> updates, int num_byzantine,
    int num_selected, absl::Span<const double> weights = {});

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STRATEGY_ROBUST_AGGREGATION_H_
