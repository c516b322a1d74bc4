#ifndef FEDGE_COMMON_DATA_PARTITION_H_
#define FEDGE_COMMON_DATA_PARTITION_H_

// Splitting one data set among many clients, for demos, tests and the fleet
// simulator. Deterministic in (labels, spec): the same seed always gives the
// same split, on every machine (no std:: distributions, whose algorithms
// differ between standard libraries).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fedge::data {

// The exact rules of each scheme are in docs/configuration.md ("partition").
enum class PartitionScheme {
  kIid,        // shuffle, then deal out equal shares
  kDirichlet,  // label skew: per class, client shares ~ Dirichlet(alpha)
  // Label skew: each client holds exactly labels_per_client classes, each
  // class split evenly among its holders.
  kLabelsPerClient,
  // Size skew: client sizes ~ Dirichlet(alpha) × examples, examples IID.
  kQuantitySkew,
  // Sort by label, cut into count × shards_per_client equal shards, give
  // each client shards_per_client of them at random (McMahan et al. 2017).
  kShards,
  // The IID split, plus Gaussian feature noise growing with the client
  // index (applied when a part is loaded: ApplyPartitionNoise).
  kFeatureNoise,
};

// "iid" / "dirichlet" / "labels_per_client" / "quantity_skew" / "shards" /
// "feature_noise" <-> enum. An unknown name is InvalidArgument listing them.
absl::StatusOr<PartitionScheme> ParsePartitionScheme(const std::string& name);
std::string PartitionSchemeName(PartitionScheme scheme);
// Every scheme's name, in declaration order.
std::vector<std::string> PartitionSchemeNames();

struct PartitionSpec {
  PartitionScheme scheme = PartitionScheme::kIid;
  size_t count = 1;  // number of clients
  // Dirichlet concentration (kDirichlet: over clients per class;
  // kQuantitySkew: over clients, for their sizes).
  double alpha = 0.5;
  uint64_t seed = 0;
  // kDirichlet resamples until every client has at least this many examples
  // (an error if that is impossible: count × min_size > examples).
  // kQuantitySkew gives every client this many before sharing out the rest.
  size_t min_size = 10;
  // kLabelsPerClient: distinct classes per client (≥ 1).
  size_t labels_per_client = 2;
  // kShards: shards per client (≥ 1).
  size_t shards_per_client = 2;
  // kFeatureNoise: standard deviation of the last client's noise (≥ 0).
  double noise_sigma = 0.1;
};

// The scheme and the parameters it uses, for logs and summaries, e.g.
// "dirichlet(alpha=0.5, min_size=10)" or "shards(shards_per_client=2)".
std::string PartitionDescription(const PartitionSpec& spec);

// For each of spec.count clients, the indices of its examples, ascending.
// Every index in [0, labels.size()) is assigned to exactly one client.
// InvalidArgument on count 0, a parameter out of range for the scheme
// (alpha <= 0, labels_per_client 0 or above the number of classes present,
// shards_per_client 0, noise_sigma < 0 or not finite), a label outside
// [0, num_classes) for the label-based schemes, or too few examples.
absl::StatusOr<std::vector<std::vector<size_t>>> Partition(
    absl::Span<const int64_t> labels, int64_t num_classes,
    const PartitionSpec& spec);

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_PARTITION_H_
