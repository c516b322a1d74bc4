#ifndef FEDGE_COMMON_SECAGG_NEIGHBOUR_GRAPH_H_
#define FEDGE_COMMON_SECAGG_NEIGHBOUR_GRAPH_H_

// Who shares keys and masks with whom in a round. SecAgg+ replaces SecAgg's
// complete graph with a random k-regular one: the clients are placed on a
// ring in a random order (drawn with a CSPRNG, so no one can arrange who
// neighbours whom) and each is joined to the k/2 nearest on either side (a
// random Harary graph, Bell et al., CCS 2020).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::secagg {

class NeighbourGraph {
 public:
  // `ids`: the clients, distinct. `degree` must be even or at least
  // ids.size() - 1 (then the graph is complete). `seed`: 32 bytes from a
  // CSPRNG. InvalidArgument otherwise.
  static absl::StatusOr<NeighbourGraph> RandomHarary(
      std::vector<std::string> ids, uint32_t degree,
      const crypto::SecretBytes& seed);

  // The complete graph on `ids`.
  static NeighbourGraph Complete(std::vector<std::string> ids);

  // Sorted neighbours of `id` (empty for an unknown id).
  const std::vector<std::string>& Neighbours(const std::string& id) const;
  bool AreNeighbours(const std::string& a, const std::string& b) const;
  // All clients, sorted.
  const std::vector<std::string>& ids() const { return ids_; }
  // 1-based position of `id` among ids(): its Shamir evaluation point.
  // 0 for an unknown id.
  uint32_t Index(const std::string& id) const;

 private:
  std::vector<std::string> ids_;
  std::map<std::string, std::vector<std::string>> neighbours_;
};

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_NEIGHBOUR_GRAPH_H_
