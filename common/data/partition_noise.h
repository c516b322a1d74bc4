#ifndef FEDGE_COMMON_DATA_PARTITION_NOISE_H_
#define FEDGE_COMMON_DATA_PARTITION_NOISE_H_

// Feature skew for the feature_noise partition scheme: client i's features
// get Gaussian noise of standard deviation noise_sigma · i / (count − 1).
// Partition() only chooses examples; the noise is added when a client's part
// is materialised, by LoadDataSource or by the simulator through
// ApplyPartitionNoise, so every process derives the same noisy part.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "common/data/dataset.h"
#include "common/data/partition.h"

namespace fedge::data {

// Standard deviation of client `index`'s noise: for scheme kFeatureNoise
// with count >= 2, spec.noise_sigma × index / (count − 1) (client 0: 0, the
// last client: exactly noise_sigma); 0 for every other scheme and for a
// single client.
double FeatureNoiseSigma(const PartitionSpec& spec, size_t index);

// The noise seed of client `index` under partition seed `partition_seed`:
// SplitMix64(SplitMix64(partition_seed XOR 0x6e6f697365).Next() + index)
// .Next(), a stream separate from the partition's own and from every other
// client's.
uint64_t FeatureNoiseSeed(uint64_t partition_seed, size_t index);

// Adds sigma × N(0, 1) to every feature of *data, in storage order, each
// draw from SplitMix64(seed).Normal(); the sum is rounded to float. No
// clipping. sigma 0 leaves the data untouched. InvalidArgument if data is
// null or sigma is negative or not finite.
absl::Status AddFeatureNoise(Dataset* data, double sigma, uint64_t seed);

// What the partition scheme does to client `index`'s part beyond choosing
// its examples: for kFeatureNoise, AddFeatureNoise(part,
// FeatureNoiseSigma(spec, index), FeatureNoiseSeed(spec.seed, index));
// nothing for the other schemes. `part` must be Subset(Partition(...)[index])
// of the whole data set, in that order. InvalidArgument if index >=
// spec.count or (kFeatureNoise) part is null.
absl::Status ApplyPartitionNoise(const PartitionSpec& spec, size_t index,
                                 Dataset* part);

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_PARTITION_NOISE_H_
