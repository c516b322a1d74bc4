#include "server/selection.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace fedge::server {

size_t CohortTarget(size_t available, const CohortSize& size) {
  auto target = static_cast<size_t>(
      std::ceil(size.fraction * static_cast<double>(available) - 1e-9));
  target = std::max<size_t>(target, size.min_clients);
  target = std::min<size_t>(target, size.max_clients);
  return std::min(target, available);
}

std::vector<std::string> SelectCohort(std::vector<std::string> candidates,
                                      const CohortSize& size, uint64_t seed,
                                      uint64_t round) {
  std::sort(candidates.begin(), candidates.end());
  size_t k = CohortTarget(candidates.size(), size);
  // mt19937_64's output is fixed by the standard, so the same seed selects
  // the same cohort everywhere. Cohort sampling needs no secrecy.
  std::seed_seq seq{
      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
      static_cast<uint32_t>(round), static_cast<uint32_t>(round >> 32)};
  std::mt19937_64 rng(seq);
  // Partial Fisher-Yates with an unbiased bounded draw (rejection sampling).
  for (size_t i = 0; i < k; ++i) {
    uint64_t range = candidates.size() - i;
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t r;
    do {
      r = rng();
    } while (r >= limit);
    std::swap(candidates[i], candidates[i + r % range]);
  }
  candidates.resize(k);
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

}  // namespace fedge::server
