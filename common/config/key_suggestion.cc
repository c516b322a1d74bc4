#include "common/config/key_suggestion.h"

#include <algorithm>
#include <limits>

namespace fedge::config {
namespace {

// Restricted Damerau-Levenshtein distance (optimal string alignment).
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] =
          std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

size_t CommonPrefix(absl::string_view a, absl::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

std::string SuggestKey(absl::string_view unknown,
                       const std::vector<std::string>& known) {
  const std::string* best = nullptr;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const std::string& candidate : known) {
    const size_t distance = EditDistance(unknown, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = &candidate;
    }
  }
  if (best != nullptr && best_distance <= 2 && best_distance < unknown.size()) {
    return *best;
  }
  best = nullptr;
  size_t best_prefix = 0;
  bool tie = false;
  for (const std::string& candidate : known) {
    const size_t prefix = CommonPrefix(unknown, candidate);
    const bool close =
        prefix >= 3 || (prefix == candidate.size() && prefix >= 2);
    if (!close) continue;
    if (prefix > best_prefix) {
      best_prefix = prefix;
      best = &candidate;
      tie = false;
    } else if (prefix == best_prefix) {
      tie = true;
    }
  }
  if (best == nullptr || tie) return "";
  return *best;
}

}  // namespace fedge::config
