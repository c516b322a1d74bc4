#ifndef FEDGE_SERVER_SELECTION_H_
#define FEDGE_SERVER_SELECTION_H_

// Choosing a round's cohort from the eligible connected clients.

#include <cstdint>
#include <string>
#include <vector>

namespace fedge::server {

struct CohortSize {
  uint32_t min_clients = 1;
  double fraction = 1.0;
  uint32_t max_clients = 1000;
};

// How many of `available` clients to select: ceil(fraction × available),
// raised to min_clients and lowered to max_clients, never above available.
size_t CohortTarget(size_t available, const CohortSize& size);

// Samples CohortTarget(...) ids uniformly without replacement. Deterministic
// in (candidates as a set, seed, round); the result is sorted.
std::vector<std::string> SelectCohort(std::vector<std::string> candidates,
                                      const CohortSize& size, uint64_t seed,
                                      uint64_t round);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_SELECTION_H_
