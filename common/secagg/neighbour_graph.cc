#include "common/secagg/neighbour_graph.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"

namespace fedge::secagg {
namespace {

// A uniform draw in [0, range) from the PRG (rejection sampling: no bias).
uint64_t Uniform(crypto::AesCtrPrg& prg, uint64_t range) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t r;
  do {
    prg.Generate(reinterpret_cast<uint8_t*>(&r), sizeof(r));
  } while (r >= limit);
  return r % range;
}

std::vector<std::string> SortedUnique(std::vector<std::string> ids,
                                      bool* had_duplicates) {
  std::sort(ids.begin(), ids.end());
  auto end = std::unique(ids.begin(), ids.end());
  *had_duplicates = end != ids.end();
  ids.erase(end, ids.end());
  return ids;
}

}  // namespace

NeighbourGraph NeighbourGraph::Complete(std::vector<std::string> ids) {
  bool duplicates;
  NeighbourGraph g;
  g.ids_ = SortedUnique(std::move(ids), &duplicates);
  for (const std::string& a : g.ids_) {
    auto& list = g.neighbours_[a];
    for (const std::string& b : g.ids_) {
      if (a != b) list.push_back(b);
    }
  }
  return g;
}

absl::StatusOr<NeighbourGraph> NeighbourGraph::RandomHarary(
    std::vector<std::string> ids, uint32_t degree,
    const crypto::SecretBytes& seed) {
  bool duplicates;
  std::vector<std::string> sorted = SortedUnique(std::move(ids), &duplicates);
  if (duplicates) {
    return absl::InvalidArgumentError("neighbour graph: duplicated client id");
  }
  const size_t n = sorted.size();
  if (n >= 1 && degree >= n - 1) return Complete(std::move(sorted));
  if (degree % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "neighbour graph degree ", degree,
        " must be even (or at least the number of clients minus one)"));
  }
  auto prg = crypto::AesCtrPrg::Create(seed);
  if (!prg.ok()) return prg.status();
  std::vector<std::string> ring = sorted;
  for (size_t i = n; i > 1; --i) {
    std::swap(ring[i - 1], ring[Uniform(**prg, i)]);
  }
  NeighbourGraph g;
  g.ids_ = std::move(sorted);
  const size_t half = degree / 2;
  for (size_t i = 0; i < n; ++i) {
    std::set<std::string> around;
    for (size_t d = 1; d <= half; ++d) {
      around.insert(ring[(i + d) % n]);
      around.insert(ring[(i + n - d) % n]);
    }
    g.neighbours_[ring[i]] =
        std::vector<std::string>(around.begin(), around.end());
  }
  return g;
}

const std::vector<std::string>& NeighbourGraph::Neighbours(
    const std::string& id) const {
  static const std::vector<std::string>* const kNone =
      new std::vector<std::string>();
  auto it = neighbours_.find(id);
  return it == neighbours_.end() ? *kNone : it->second;
}

bool NeighbourGraph::AreNeighbours(const std::string& a,
                                   const std::string& b) const {
  const auto& list = Neighbours(a);
  return std::binary_search(list.begin(), list.end(), b);
}

uint32_t NeighbourGraph::Index(const std::string& id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return 0;
  return static_cast<uint32_t>(it - ids_.begin()) + 1;
}

}  // namespace fedge::secagg
