#ifndef FEDGE_COMMON_NET_BACKOFF_H_
#define FEDGE_COMMON_NET_BACKOFF_H_

// Exponential backoff with jitter for reconnecting to a server that went
// away. Jitter spreads a fleet's reconnects so a restarted server is not hit
// by every device in the same instant.

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace fedge::net {

struct BackoffPolicy {
  absl::Duration initial = absl::Milliseconds(500);
  absl::Duration max = absl::Seconds(30);
  double multiplier = 2.0;
  // Each wait is scaled by a uniform factor in [1 - jitter, 1 + jitter].
  double jitter = 0.2;
};

class Backoff {
 public:
  Backoff(const BackoffPolicy& policy, uint64_t seed);

  // The next wait: initial, initial*multiplier, ... capped at max, each with
  // jitter applied (and never above max * (1 + jitter)).
  absl::Duration Next();

  // Back to the initial wait (after a successful connection).
  void Reset();

 private:
  BackoffPolicy policy_;
  absl::Duration current_;
  std::mt19937_64 rng_;  // jitter only; not security relevant
};

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_BACKOFF_H_
