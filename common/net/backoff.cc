#include "common/net/backoff.h"

#include <algorithm>

namespace fedge::net {

Backoff::Backoff(const BackoffPolicy& policy, uint64_t seed)
    : policy_(policy), current_(policy.initial), rng_(seed) {}

absl::Duration Backoff::Next() {
  absl::Duration base = std::min(current_, policy_.max);
  current_ = std::min(current_ * policy_.multiplier, policy_.max);
  // A uniform double in [0, 1) from 53 random bits.
  double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  double factor = 1.0 + policy_.jitter * (2.0 * u - 1.0);
  return base * factor;
}

void Backoff::Reset() { current_ = policy_.initial; }

}  // namespace fedge::net
