#include "common/data/partition_schemes.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fedge::data::internal {
namespace {

// Dirichlet draws are cheap (classes × clients gamma draws an attempt), so
// many attempts cost little; past this, min_size is deemed unreachable.
constexpr int kMaxDirichletAttempts = 1000;

// Client proportions ~ Dirichlet(alpha, ..., alpha), computed from log-gamma
// draws so that tiny alphas (whose gamma draws underflow) still normalise.
void DrawDirichlet(double alpha, SplitMix64& rng, std::vector<double>& out) {
  double max_log = -HUGE_VAL;
  for (double& x : out) {
    x = rng.LogGamma(alpha);
    max_log = std::max(max_log, x);
  }
  if (max_log == -HUGE_VAL) {
    // Only for alphas so small (< ~1e-300) that every log draw overflowed:
    // the Dirichlet's limit as alpha -> 0, all mass on one random client.
    std::fill(out.begin(), out.end(), 0.0);
    out[rng.UniformInt(out.size())] = 1.0;
    return;
  }
  double sum = 0.0;
  for (double& x : out) {
    x = std::exp(x - max_log);  // the largest becomes 1: sum >= 1
    sum += x;
  }
  for (double& x : out) x /= sum;
}

// Cut points splitting `n` items by `proportions`: item range of client k is
// [cuts[k], cuts[k + 1]). Floors of the cumulative shares, the last pinned
// to n, so rounding never loses or duplicates an item.
void CutPoints(const std::vector<double>& proportions, size_t n,
               std::vector<size_t>& cuts) {
  const size_t count = proportions.size();
  cuts.assign(count + 1, 0);
  double cumulative = 0.0;
  for (size_t k = 0; k + 1 < count; ++k) {
    cumulative += proportions[k];
    const double at = std::floor(cumulative * static_cast<double>(n));
    cuts[k + 1] = std::max(cuts[k], std::min(n, static_cast<size_t>(at)));
  }
  cuts[count] = n;
}

// The indices of each class, ascending.
std::vector<std::vector<size_t>> IndicesByClass(
    absl::Span<const int64_t> labels, int64_t num_classes) {
  std::vector<std::vector<size_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  return by_class;
}

void SortParts(Parts& parts) {
  for (std::vector<size_t>& part : parts) std::sort(part.begin(), part.end());
}

}  // namespace

void Shuffle(std::vector<size_t>& v, SplitMix64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.UniformInt(i));
    std::swap(v[i - 1], v[j]);
  }
}

Parts PartitionIid(size_t n, size_t count, SplitMix64& rng) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Shuffle(order, rng);
  Parts parts(count);
  const size_t base = n / count;
  const size_t extra = n % count;  // the first `extra` clients get one more
  size_t begin = 0;
  for (size_t k = 0; k < count; ++k) {
    const size_t size = base + (k < extra ? 1 : 0);
    parts[k].assign(order.begin() + begin, order.begin() + begin + size);
    begin += size;
  }
  SortParts(parts);
  return parts;
}

absl::StatusOr<Parts> PartitionDirichlet(absl::Span<const int64_t> labels,
                                         int64_t num_classes,
                                         const PartitionSpec& spec,
                                         SplitMix64& rng) {
  const size_t count = spec.count;
  const size_t num_classes_u = static_cast<size_t>(num_classes);
  std::vector<std::vector<size_t>> by_class =
      IndicesByClass(labels, num_classes);

  // cuts[c] splits class c among the clients.
  std::vector<std::vector<size_t>> cuts(num_classes_u);
  std::vector<double> proportions(count);
  std::vector<size_t> sizes(count);
  bool accepted = false;
  int attempt = 0;
  size_t smallest = 0;
  while (!accepted && attempt < kMaxDirichletAttempts) {
    ++attempt;
    std::fill(sizes.begin(), sizes.end(), 0);
    for (size_t c = 0; c < num_classes_u; ++c) {
      DrawDirichlet(spec.alpha, rng, proportions);
      CutPoints(proportions, by_class[c].size(), cuts[c]);
      for (size_t k = 0; k < count; ++k)
        sizes[k] += cuts[c][k + 1] - cuts[c][k];
    }
    smallest = *std::min_element(sizes.begin(), sizes.end());
    accepted = smallest >= spec.min_size;
  }
  if (!accepted) {
    return absl::InvalidArgumentError(
        absl::StrCat("Dirichlet partition (alpha ", spec.alpha, ", ", count,
                     " clients, seed ", spec.seed, ") of ", labels.size(),
                     " examples did not give every client min_size ",
                     spec.min_size, " examples in ", kMaxDirichletAttempts,
                     " attempts (the last gave a client ", smallest,
                     "); lower min_size, raise alpha or use fewer clients"));
  }

  Parts parts(count);
  for (size_t k = 0; k < count; ++k) parts[k].reserve(sizes[k]);
  for (size_t c = 0; c < num_classes_u; ++c) {
    Shuffle(by_class[c], rng);
    for (size_t k = 0; k < count; ++k) {
      parts[k].insert(parts[k].end(), by_class[c].begin() + cuts[c][k],
                      by_class[c].begin() + cuts[c][k + 1]);
    }
  }
  SortParts(parts);
  return parts;
}

absl::StatusOr<Parts> PartitionLabelsPerClient(absl::Span<const int64_t> labels,
                                               int64_t num_classes,
                                               const PartitionSpec& spec,
                                               SplitMix64& rng) {
  const size_t count = spec.count;
  const size_t per_client = spec.labels_per_client;
  std::vector<std::vector<size_t>> by_class =
      IndicesByClass(labels, num_classes);
  std::vector<size_t> deck;  // the classes present, in deck order
  for (size_t c = 0; c < by_class.size(); ++c) {
    if (!by_class[c].empty()) deck.push_back(c);
  }

  // Deal classes to clients in order, per_client each, from a deck of the
  // classes present that is reshuffled whenever it runs out. Every deck
  // hands out each class once, so holder counts differ by at most one and,
  // as count × per_client >= deck size, every class has a holder. A client
  // whose classes straddle two decks must not draw a class twice: the
  // classes it already holds are swapped out of the new deck's head.
  std::vector<std::vector<size_t>> holders(by_class.size());
  std::vector<char> held(by_class.size(), 0);
  std::vector<size_t> mine;
  mine.reserve(per_client);
  size_t pos = deck.size();
  for (size_t k = 0; k < count; ++k) {
    mine.clear();
    while (mine.size() < per_client) {
      if (pos == deck.size()) {
        Shuffle(deck, rng);
        pos = 0;
        const size_t need = per_client - mine.size();
        size_t spare = need;  // next candidate to swap in from the tail
        for (size_t i = 0; i < need; ++i) {
          if (!held[deck[i]]) continue;
          while (held[deck[spare]]) ++spare;
          std::swap(deck[i], deck[spare]);
          ++spare;
        }
      }
      const size_t c = deck[pos++];
      held[c] = 1;
      mine.push_back(c);
    }
    for (size_t c : mine) {
      holders[c].push_back(k);
      held[c] = 0;
    }
  }

  // Each class, shuffled, in contiguous runs to its holders in client
  // order: size / holders each, the first size % holders one more.
  Parts parts(count);
  for (size_t c = 0; c < by_class.size(); ++c) {
    if (by_class[c].empty()) continue;
    Shuffle(by_class[c], rng);
    const size_t size = by_class[c].size();
    const size_t num_holders = holders[c].size();
    const size_t base = size / num_holders;
    const size_t extra = size % num_holders;
    size_t begin = 0;
    for (size_t h = 0; h < num_holders; ++h) {
      const size_t take = base + (h < extra ? 1 : 0);
      std::vector<size_t>& part = parts[holders[c][h]];
      part.insert(part.end(), by_class[c].begin() + begin,
                  by_class[c].begin() + begin + take);
      begin += take;
    }
  }
  for (size_t k = 0; k < count; ++k) {
    if (!parts[k].empty()) continue;
    size_t scarce = 0;  // a class with fewer examples than holders
    for (size_t c = 0; c < by_class.size(); ++c) {
      if (!by_class[c].empty() && by_class[c].size() < holders[c].size()) {
        scarce = c;
        break;
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "labels_per_client partition (", per_client, " labels per client, ",
        count, " clients) leaves client ", k,
        " with no examples: its classes have fewer examples than clients "
        "holding them (e.g. class ",
        scarce, ": ", by_class[scarce].size(), " examples, ",
        holders[scarce].size(),
        " holders); use fewer clients or more labels per client"));
  }
  SortParts(parts);
  return parts;
}

Parts PartitionQuantitySkew(size_t n, const PartitionSpec& spec,
                            SplitMix64& rng) {
  const size_t count = spec.count;
  std::vector<double> proportions(count);
  DrawDirichlet(spec.alpha, rng, proportions);
  std::vector<size_t> cuts;
  CutPoints(proportions, n - count * spec.min_size, cuts);

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Shuffle(order, rng);
  Parts parts(count);
  size_t begin = 0;
  for (size_t k = 0; k < count; ++k) {
    const size_t size = spec.min_size + cuts[k + 1] - cuts[k];
    parts[k].assign(order.begin() + begin, order.begin() + begin + size);
    begin += size;
  }
  SortParts(parts);
  return parts;
}

Parts PartitionShards(absl::Span<const int64_t> labels, int64_t num_classes,
                      const PartitionSpec& spec, SplitMix64& rng) {
  const size_t n = labels.size();
  const size_t per_client = spec.shards_per_client;
  const size_t num_shards = spec.count * per_client;

  // Counting sort by label: stable, so ties stay in index order.
  std::vector<size_t> start(static_cast<size_t>(num_classes) + 1, 0);
  for (int64_t label : labels) ++start[static_cast<size_t>(label) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<size_t> sorted(n);
  for (size_t i = 0; i < n; ++i) sorted[start[labels[i]]++] = i;

  // Shard j is sorted[begin(j), begin(j + 1)).
  const size_t base = n / num_shards;
  const size_t extra = n % num_shards;  // the first `extra` are one longer
  auto shard_begin = [&](size_t j) { return j * base + std::min(j, extra); };

  std::vector<size_t> shard_order(num_shards);
  std::iota(shard_order.begin(), shard_order.end(), size_t{0});
  Shuffle(shard_order, rng);
  Parts parts(spec.count);
  for (size_t k = 0; k < spec.count; ++k) {
    for (size_t s = 0; s < per_client; ++s) {
      const size_t j = shard_order[k * per_client + s];
      parts[k].insert(parts[k].end(), sorted.begin() + shard_begin(j),
                      sorted.begin() + shard_begin(j + 1));
    }
  }
  SortParts(parts);
  return parts;
}

}  // namespace fedge::data::internal
