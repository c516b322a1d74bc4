#include "common/data/partition_noise.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/data/random.h"

namespace fedge::data {
namespace {

// "noise" in ASCII: keeps the noise streams apart from the partition's own
// stream, SplitMix64(partition_seed).
constexpr uint64_t kNoiseStream = 0x6e6f697365ULL;

}  // namespace

double FeatureNoiseSigma(const PartitionSpec& spec, size_t index) {
  if (spec.scheme != PartitionScheme::kFeatureNoise || spec.count < 2) {
    return 0.0;
  }
  return spec.noise_sigma *
         (static_cast<double>(index) / static_cast<double>(spec.count - 1));
}

uint64_t FeatureNoiseSeed(uint64_t partition_seed, size_t index) {
  SplitMix64 base(partition_seed ^ kNoiseStream);
  SplitMix64 client(base.Next() + static_cast<uint64_t>(index));
  return client.Next();
}

absl::Status AddFeatureNoise(Dataset* data, double sigma, uint64_t seed) {
  if (data == nullptr) {
    return absl::InvalidArgumentError("AddFeatureNoise: data is null");
  }
  if (!(sigma >= 0.0) || !std::isfinite(sigma)) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature noise sigma ", sigma,
                     " is invalid; it must be a finite number >= 0"));
  }
  if (sigma == 0.0) return absl::OkStatus();
  SplitMix64 rng(seed);
  for (float& x : data->features) {
    x = static_cast<float>(static_cast<double>(x) + sigma * rng.Normal());
  }
  return absl::OkStatus();
}

absl::Status ApplyPartitionNoise(const PartitionSpec& spec, size_t index,
                                 Dataset* part) {
  if (index >= spec.count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition index ", index, " is out of range for count ", spec.count));
  }
  if (spec.scheme != PartitionScheme::kFeatureNoise) return absl::OkStatus();
  return AddFeatureNoise(part, FeatureNoiseSigma(spec, index),
                         FeatureNoiseSeed(spec.seed, index));
}

}  // namespace fedge::data
