#ifndef FEDGE_COMMON_DATA_PARTITION_SUMMARY_H_
#define FEDGE_COMMON_DATA_PARTITION_SUMMARY_H_

// What a partition looks like: each client's size and label distribution,
// printed when a simulation starts and saved with its results.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace fedge::data {

struct PartitionSummary {
  std::string scheme;  // e.g. "dirichlet(alpha=0.5)"
  int64_t num_classes = 0;
  std::vector<size_t> sizes;                      // per client
  std::vector<std::vector<size_t>> label_counts;  // per client, per class

  size_t num_clients() const { return sizes.size(); }
  size_t total() const;
};

// Counts sizes and labels of `parts` (indices into `labels`). An index past
// the end of `labels`, or a label outside [0, num_classes), counts in the
// client's size but in no class.
PartitionSummary Summarize(const std::vector<std::vector<size_t>>& parts,
                           absl::Span<const int64_t> labels,
                           int64_t num_classes, std::string scheme);

// A human-readable table: totals, size statistics (min, median, mean, max),
// statistics of the number of distinct labels per client and, for up to
// `max_clients` clients, size and label counts (columns c0, c1, ...), with a
// last row totalling every client.
std::string SummaryText(const PartitionSummary& summary,
                        size_t max_clients = 20);

// The whole summary as JSON (every client), for the run directory: one
// object {"scheme", "num_classes", "num_clients", "total", "size_min",
// "size_median", "size_mean", "size_max" (null without clients), "clients":
// [{"size", "label_counts": [...]}, ...]}.
std::string SummaryJson(const PartitionSummary& summary);

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_PARTITION_SUMMARY_H_
