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

enum class PartitionScheme {
  kIid,        // shuffle, then deal out equal shares
  kDirichlet,  // label skew: per class, client shares ~ Dirichlet(alpha)
};

// "iid" / "dirichlet" <-> enum.
absl::StatusOr<PartitionScheme> ParsePartitionScheme(const std::string& name);
std::string PartitionSchemeName(PartitionScheme scheme);

struct PartitionSpec {
  PartitionScheme scheme = PartitionScheme::kIid;
  size_t count = 1;    // number of clients
  double alpha = 0.5;  // Dirichlet concentration (kDirichlet only)
  uint64_t seed = 0;
  // kDirichlet resamples until every client has at least this many examples
  // (an error if that is impossible: count × min_size > examples).
  size_t min_size = 10;
};

// For each of spec.count clients, the indices of its examples, ascending.
// Every index in [0, labels.size()) is assigned to exactly one client.
// InvalidArgument on count 0, alpha <= 0, or too few examples.
absl::StatusOr<std::vector<std::vector<size_t>>> Partition(
    absl::Span<const int64_t> labels, int64_t num_classes,
    const PartitionSpec& spec);

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_PARTITION_H_
