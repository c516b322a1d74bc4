#ifndef FEDGE_COMMON_DATA_PARTITION_TEST_UTIL_H_
#define FEDGE_COMMON_DATA_PARTITION_TEST_UTIL_H_

// Helpers shared by the partition tests.

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

#include "common/data/partition.h"
#include "gtest/gtest.h"

namespace fedge::data::testing {

using Parts = std::vector<std::vector<size_t>>;

// `n` labels cycling through `num_classes` classes.
inline std::vector<int64_t> CyclicLabels(size_t n, int64_t num_classes) {
  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int64_t>(i) % num_classes;
  }
  return labels;
}

// A spec of `scheme` for `count` clients with `seed`; other fields default.
inline PartitionSpec Spec(PartitionScheme scheme, size_t count, uint64_t seed) {
  PartitionSpec spec;
  spec.scheme = scheme;
  spec.count = count;
  spec.seed = seed;
  return spec;
}

// Every index in [0, n) appears in exactly one part, and each part ascends.
inline void ExpectExactCover(const Parts& parts, size_t n) {
  std::vector<int> seen(n, 0);
  for (const std::vector<size_t>& part : parts) {
    EXPECT_TRUE(std::is_sorted(part.begin(), part.end()));
    for (size_t i : part) {
      ASSERT_LT(i, n);
      ++seen[i];
    }
  }
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], 1) << "index " << i;
}

// The distinct labels of a part.
inline std::set<int64_t> LabelSet(const std::vector<size_t>& part,
                                  const std::vector<int64_t>& labels) {
  std::set<int64_t> set;
  for (size_t i : part) set.insert(labels[i]);
  return set;
}

}  // namespace fedge::data::testing

#endif  // FEDGE_COMMON_DATA_PARTITION_TEST_UTIL_H_
