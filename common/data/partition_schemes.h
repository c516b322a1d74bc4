#ifndef FEDGE_COMMON_DATA_PARTITION_SCHEMES_H_
#define FEDGE_COMMON_DATA_PARTITION_SCHEMES_H_

// The partition algorithms behind Partition() (partition.h), one function a
// scheme. Internal to common/data: each assumes Partition() has already
// checked the spec and the labels (the preconditions listed), and draws from
// the caller's generator in a fixed, documented order, since any change to
// that order changes every split made with a given seed.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/data/partition.h"
#include "common/data/random.h"

namespace fedge::data::internal {

using Parts = std::vector<std::vector<size_t>>;

// Fisher–Yates, from the last position down, with unbiased integer draws.
void Shuffle(std::vector<size_t>& v, SplitMix64& rng);

// Shuffles [0, n) and deals it out in contiguous runs of n / count, the first
// n % count clients getting one more. Requires count >= 1, n >= count.
Parts PartitionIid(size_t n, size_t count, SplitMix64& rng);

// Per class, shares ~ Dirichlet(alpha) over clients, redrawn (up to a bound)
// until every client has min_size examples; InvalidArgument if never.
// Requires alpha > 0 and finite, labels in [0, num_classes), count >= 1.
absl::StatusOr<Parts> PartitionDirichlet(absl::Span<const int64_t> labels,
                                         int64_t num_classes,
                                         const PartitionSpec& spec,
                                         SplitMix64& rng);

// Each client gets exactly labels_per_client distinct classes (dealt from a
// reshuffled deck of the classes present), each class's examples split
// evenly among its holders. InvalidArgument if a client would be left with
// no examples. Requires labels in [0, num_classes), count >= 1,
// 1 <= labels_per_client <= classes present <= count × labels_per_client.
absl::StatusOr<Parts> PartitionLabelsPerClient(absl::Span<const int64_t> labels,
                                               int64_t num_classes,
                                               const PartitionSpec& spec,
                                               SplitMix64& rng);

// Sizes min_size + Dirichlet(alpha) shares of the rest (summing to n), then
// a shuffle of [0, n) dealt out in those sizes. Requires alpha > 0 and
// finite, count >= 1, count × min_size <= n.
Parts PartitionQuantitySkew(size_t n, const PartitionSpec& spec,
                            SplitMix64& rng);

// Indices sorted by label (ties by index), cut into count × shards_per_client
// shards of n / shards (the first n % shards one longer), shards shuffled and
// dealt shards_per_client to a client. Requires labels in [0, num_classes),
// count >= 1, shards_per_client >= 1, count × shards_per_client <= n.
Parts PartitionShards(absl::Span<const int64_t> labels, int64_t num_classes,
                      const PartitionSpec& spec, SplitMix64& rng);

}  // namespace fedge::data::internal

#endif  // FEDGE_COMMON_DATA_PARTITION_SCHEMES_H_
