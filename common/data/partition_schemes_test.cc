// Tests of the schemes beyond iid and dirichlet (those are in
// partition_test.cc), through the public Partition().

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/data/partition.h"
#include "common/data/partition_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::fedge::data::testing::CyclicLabels;
using ::fedge::data::testing::ExpectExactCover;
using ::fedge::data::testing::LabelSet;
using ::fedge::data::testing::Parts;
using ::fedge::data::testing::Spec;
using ::testing::HasSubstr;

PartitionSpec LabelsPerClient(size_t count, size_t per_client, uint64_t seed) {
  PartitionSpec spec = Spec(PartitionScheme::kLabelsPerClient, count, seed);
  spec.labels_per_client = per_client;
  return spec;
}

PartitionSpec QuantitySkew(size_t count, double alpha, uint64_t seed,
                           size_t min_size) {
  PartitionSpec spec = Spec(PartitionScheme::kQuantitySkew, count, seed);
  spec.alpha = alpha;
  spec.min_size = min_size;
  return spec;
}

PartitionSpec Shards(size_t count, size_t per_client, uint64_t seed) {
  PartitionSpec spec = Spec(PartitionScheme::kShards, count, seed);
  spec.shards_per_client = per_client;
  return spec;
}

std::vector<size_t> Sizes(const Parts& parts) {
  std::vector<size_t> sizes;
  for (const std::vector<size_t>& part : parts) sizes.push_back(part.size());
  return sizes;
}

// ---- labels_per_client ----------------------------------------------------

TEST(LabelsPerClientTest, EveryClientHasExactlyCLabelsAndClassesSplitEvenly) {
  // 37 clients × 3 labels = 111 holdings of 10 classes: 11 or 12 holders a
  // class; 1000 examples a class, so each holder gets 83 to 91.
  const std::vector<int64_t> labels = CyclicLabels(10000, 10);
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    absl::StatusOr<Parts> parts =
        Partition(labels, 10, LabelsPerClient(37, 3, seed));
    ASSERT_TRUE(parts.ok()) << parts.status();
    ASSERT_EQ(parts->size(), 37u);
    ExpectExactCover(*parts, labels.size());
    // per_class[c]: the number of class-c examples of each holder.
    std::vector<std::vector<size_t>> per_class(10);
    for (const std::vector<size_t>& part : *parts) {
      EXPECT_EQ(LabelSet(part, labels).size(), 3u) << "seed " << seed;
      std::vector<size_t> counts(10, 0);
      for (size_t i : part) ++counts[labels[i]];
      for (size_t c = 0; c < 10; ++c) {
        if (counts[c] > 0) per_class[c].push_back(counts[c]);
      }
    }
    for (size_t c = 0; c < 10; ++c) {
      EXPECT_GE(per_class[c].size(), 11u) << "class " << c;
      EXPECT_LE(per_class[c].size(), 12u) << "class " << c;
      const auto [lo, hi] =
          std::minmax_element(per_class[c].begin(), per_class[c].end());
      EXPECT_LE(*hi - *lo, 1u) << "class " << c << " seed " << seed;
    }
  }
}

TEST(LabelsPerClientTest, CountTimesCEqualToClassesGivesWholeClasses) {
  // 5 × 2 = 10: every class has exactly one holder.
  const std::vector<int64_t> labels = CyclicLabels(1000, 10);
  absl::StatusOr<Parts> parts = Partition(labels, 10, LabelsPerClient(5, 2, 8));
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectExactCover(*parts, labels.size());
  for (const std::vector<size_t>& part : *parts) {
    EXPECT_EQ(part.size(), 200u);
    EXPECT_EQ(LabelSet(part, labels).size(), 2u);
  }
}

TEST(LabelsPerClientTest, ClientsStraddlingTwoDecksNeverRepeatAClass) {
  // 3 labels from decks of 4 classes: most clients straddle two decks.
  const std::vector<int64_t> labels = CyclicLabels(4000, 4);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    absl::StatusOr<Parts> parts =
        Partition(labels, 4, LabelsPerClient(9, 3, seed));
    ASSERT_TRUE(parts.ok()) << parts.status();
    ExpectExactCover(*parts, labels.size());
    for (const std::vector<size_t>& part : *parts) {
      ASSERT_EQ(LabelSet(part, labels).size(), 3u) << "seed " << seed;
    }
  }
}

TEST(LabelsPerClientTest, LabelCombinationsVaryAcrossClients) {
  // Not a fixed cyclic window: 100 clients with 2 of 10 labels should show
  // far more than the 5 pairs a window over one fixed order would give.
  const std::vector<int64_t> labels = CyclicLabels(10000, 10);
  absl::StatusOr<Parts> parts =
      Partition(labels, 10, LabelsPerClient(100, 2, 3));
  ASSERT_TRUE(parts.ok()) << parts.status();
  std::set<std::set<int64_t>> pairs;
  for (const std::vector<size_t>& part : *parts) {
    pairs.insert(LabelSet(part, labels));
  }
  EXPECT_GE(pairs.size(), 20u);
}

TEST(LabelsPerClientTest, DealsOnlyClassesThatHaveExamples) {
  // Classes 5..9 have no examples.
  const std::vector<int64_t> labels = CyclicLabels(500, 5);
  absl::StatusOr<Parts> parts = Partition(labels, 10, LabelsPerClient(5, 2, 1));
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectExactCover(*parts, labels.size());
  for (const std::vector<size_t>& part : *parts) {
    const std::set<int64_t> held = LabelSet(part, labels);
    EXPECT_EQ(held.size(), 2u);
    EXPECT_LT(*held.rbegin(), 5);
  }
  absl::StatusOr<Parts> too_many =
      Partition(labels, 10, LabelsPerClient(5, 6, 1));
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().message(),
            "labels_per_client 6 is out of range: the data set has 5 classes "
            "with examples; use 1..5");
}

TEST(LabelsPerClientTest, AllLabelsPerClientIsAnIidSplitPerClass) {
  const std::vector<int64_t> labels = CyclicLabels(1000, 4);
  absl::StatusOr<Parts> parts = Partition(labels, 4, LabelsPerClient(8, 4, 2));
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectExactCover(*parts, labels.size());
  for (const std::vector<size_t>& part : *parts) {
    EXPECT_EQ(LabelSet(part, labels).size(), 4u);
  }
  // 250 a class over 8 holders: the first 2 (in client order) get 32, the
  // others 31.
  EXPECT_THAT(Sizes(*parts),
              ::testing::ElementsAre(128, 128, 124, 124, 124, 124, 124, 124));
}

TEST(LabelsPerClientTest, ErrorsWhenAClassWouldHaveNoHolder) {
  const std::vector<int64_t> labels = CyclicLabels(1000, 10);
  absl::StatusOr<Parts> parts = Partition(labels, 10, LabelsPerClient(4, 2, 1));
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parts.status().message(),
            "labels_per_client partition: 4 clients × 2 labels per client "
            "cannot hold all 10 classes (a class would have no client); use "
            "at least 5 clients or more labels per client");
}

TEST(LabelsPerClientTest, ErrorsWhenAClientWouldGetNoExamples) {
  // Class 0 has one example but, with one label each, 4 clients give both
  // classes two holders: one holder of class 0 gets nothing at all.
  std::vector<int64_t> labels(12, 1);
  labels[0] = 0;
  absl::StatusOr<Parts> parts = Partition(labels, 2, LabelsPerClient(4, 1, 1));
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parts.status().message()),
              ::testing::AllOf(HasSubstr("with no examples"),
                               HasSubstr("class 0: 1 examples, 2 holders"),
                               HasSubstr("use fewer clients")));
}

// ---- quantity_skew --------------------------------------------------------

TEST(QuantitySkewTest, SizesSumToTheDataSetAndRespectMinSize) {
  const std::vector<int64_t> labels = CyclicLabels(1000, 10);
  for (double alpha : {0.01, 0.5, 100.0}) {
    absl::StatusOr<Parts> parts =
        Partition(labels, 10, QuantitySkew(50, alpha, 4, /*min_size=*/5));
    ASSERT_TRUE(parts.ok()) << parts.status();
    ASSERT_EQ(parts->size(), 50u);
    ExpectExactCover(*parts, labels.size());
    for (size_t size : Sizes(*parts)) EXPECT_GE(size, 5u) << "alpha " << alpha;
  }
}

TEST(QuantitySkewTest, SmallAlphaGivesVeryUnequalSizes) {
  const std::vector<int64_t> labels = CyclicLabels(60000, 10);
  absl::StatusOr<Parts> parts =
      Partition(labels, 10, QuantitySkew(100, 0.1, 7, /*min_size=*/0));
  ASSERT_TRUE(parts.ok()) << parts.status();
  std::vector<size_t> sizes = Sizes(*parts);
  std::sort(sizes.begin(), sizes.end());
  // An equal share would be 600.
  EXPECT_GT(sizes.back(), 6000u);
  EXPECT_LT(sizes[50], 60u);
}

TEST(QuantitySkewTest, LargeAlphaGivesNearEqualSizes) {
  const std::vector<int64_t> labels = CyclicLabels(60000, 10);
  absl::StatusOr<Parts> parts =
      Partition(labels, 10, QuantitySkew(100, 1000.0, 7, /*min_size=*/0));
  ASSERT_TRUE(parts.ok()) << parts.status();
  for (size_t size : Sizes(*parts)) {
    EXPECT_NEAR(static_cast<double>(size), 600.0, 90.0);
  }
}

TEST(QuantitySkewTest, ExamplesAreDealtIid) {
  // The largest client's labels are near uniform, unlike label skew.
  const std::vector<int64_t> labels = CyclicLabels(60000, 10);
  absl::StatusOr<Parts> parts =
      Partition(labels, 10, QuantitySkew(20, 0.2, 3, /*min_size=*/0));
  ASSERT_TRUE(parts.ok()) << parts.status();
  const std::vector<size_t>& largest = *std::max_element(
      parts->begin(), parts->end(),
      [](const auto& a, const auto& b) { return a.size() < b.size(); });
  ASSERT_GT(largest.size(), 5000u);
  std::vector<double> share(10, 0.0);
  for (size_t i : largest) share[labels[i]] += 1.0;
  for (double s : share) {
    EXPECT_NEAR(s / static_cast<double>(largest.size()), 0.1, 0.02);
  }
}

// ---- shards ---------------------------------------------------------------

TEST(ShardsTest, AlignedShardsGiveEachClientAtMostSLabels) {
  // FedAvg's setting in miniature: 100 a class, 20 shards of 50, so every
  // shard holds one label.
  const std::vector<int64_t> labels = CyclicLabels(1000, 10);
  absl::StatusOr<Parts> parts = Partition(labels, 10, Shards(10, 2, 6));
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectExactCover(*parts, labels.size());
  size_t two_labels = 0;
  for (const std::vector<size_t>& part : *parts) {
    EXPECT_EQ(part.size(), 100u);
    const size_t held = LabelSet(part, labels).size();
    EXPECT_GE(held, 1u);
    EXPECT_LE(held, 2u);
    if (held == 2) ++two_labels;
  }
  EXPECT_GE(two_labels, 5u);  // shards are dealt at random, not in order
}

TEST(ShardsTest, EachClientGetsExactlySWholeShards) {
  // 1003 examples of 7 classes, 9 clients × 3 = 27 shards: 1003 = 27 × 37
  // + 4, so shards 0..3 (in label order) have 38 examples, the rest 37.
  const std::vector<int64_t> labels = CyclicLabels(1003, 7);
  absl::StatusOr<Parts> parts = Partition(labels, 7, Shards(9, 3, 11));
  ASSERT_TRUE(parts.ok()) << parts.status();
  ExpectExactCover(*parts, labels.size());

  // Rebuild the documented shard of every example: stable sort by label.
  std::vector<size_t> sorted(labels.size());
  for (size_t i = 0; i < sorted.size(); ++i) sorted[i] = i;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](size_t a, size_t b) { return labels[a] < labels[b]; });
  std::vector<size_t> shard_of(labels.size());
  std::vector<size_t> shard_size(27);
  size_t at = 0;
  for (size_t j = 0; j < 27; ++j) {
    shard_size[j] = j < 4 ? 38 : 37;
    for (size_t r = 0; r < shard_size[j]; ++r) shard_of[sorted[at++]] = j;
  }
  ASSERT_EQ(at, labels.size());

  std::set<size_t> dealt;
  for (const std::vector<size_t>& part : *parts) {
    std::vector<size_t> per_shard(27, 0);
    for (size_t i : part) ++per_shard[shard_of[i]];
    size_t whole = 0;
    for (size_t j = 0; j < 27; ++j) {
      if (per_shard[j] == 0) continue;
      EXPECT_EQ(per_shard[j], shard_size[j]) << "shard " << j << " split";
      ++whole;
      dealt.insert(j);
    }
    EXPECT_EQ(whole, 3u);
    EXPECT_GE(part.size(), 3u * 37);
    EXPECT_LE(part.size(), 3u * 38);
    // Shards (37-38) are smaller than a class (143), so each spans at most
    // two labels: at most 2 × 3 per client.
    EXPECT_LE(LabelSet(part, labels).size(), 6u);
  }
  EXPECT_EQ(dealt.size(), 27u);
}

TEST(ShardsTest, RejectsZeroShardsAndMoreShardsThanExamples) {
  const std::vector<int64_t> labels = CyclicLabels(100, 10);
  absl::StatusOr<Parts> zero = Partition(labels, 10, Shards(10, 0, 1));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(),
            "shards_per_client is 0; it must be at least 1");
  absl::StatusOr<Parts> many = Partition(labels, 10, Shards(34, 3, 1));
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(many.status().message(),
            "shards partition of 100 examples into 34 clients cannot give "
            "each client at least 3 examples (one a shard, shards_per_client "
            "3); lower shards_per_client or use fewer clients");
}

// ---- feature_noise --------------------------------------------------------

TEST(FeatureNoiseSplitTest, IsTheIidSplitWithTheSameSeed) {
  const std::vector<int64_t> labels = CyclicLabels(1003, 10);
  PartitionSpec noisy = Spec(PartitionScheme::kFeatureNoise, 7, 19);
  noisy.noise_sigma = 0.3;
  absl::StatusOr<Parts> a = Partition(labels, 10, noisy);
  absl::StatusOr<Parts> b =
      Partition(labels, 10, Spec(PartitionScheme::kIid, 7, 19));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*a, *b);
}

TEST(FeatureNoiseSplitTest, RejectsNegativeOrNonFiniteSigma) {
  const std::vector<int64_t> labels = CyclicLabels(100, 10);
  for (double sigma : {-0.1, std::nan(""), HUGE_VAL}) {
    PartitionSpec spec = Spec(PartitionScheme::kFeatureNoise, 4, 1);
    spec.noise_sigma = sigma;
    absl::StatusOr<Parts> parts = Partition(labels, 10, spec);
    ASSERT_FALSE(parts.ok()) << sigma;
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parts.status().message()),
                HasSubstr("it must be a finite number >= 0"));
  }
}

// ---- every new scheme -----------------------------------------------------

std::vector<PartitionSpec> NewSchemeSpecs(uint64_t seed) {
  PartitionSpec noise = Spec(PartitionScheme::kFeatureNoise, 7, seed);
  return {LabelsPerClient(7, 2, seed), QuantitySkew(7, 0.5, seed, 10),
          Shards(7, 2, seed), noise};
}

TEST(NewSchemesTest, SameSeedGivesIdenticalOutput) {
  const std::vector<int64_t> labels = CyclicLabels(5000, 10);
  for (const PartitionSpec& spec : NewSchemeSpecs(42)) {
    absl::StatusOr<Parts> a = Partition(labels, 10, spec);
    absl::StatusOr<Parts> b = Partition(labels, 10, spec);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(*a, *b) << PartitionSchemeName(spec.scheme);
    ExpectExactCover(*a, labels.size());
  }
}

TEST(NewSchemesTest, DifferentSeedGivesDifferentOutput) {
  const std::vector<int64_t> labels = CyclicLabels(5000, 10);
  const std::vector<PartitionSpec> first = NewSchemeSpecs(42);
  const std::vector<PartitionSpec> second = NewSchemeSpecs(43);
  for (size_t s = 0; s < first.size(); ++s) {
    absl::StatusOr<Parts> a = Partition(labels, 10, first[s]);
    absl::StatusOr<Parts> b = Partition(labels, 10, second[s]);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b) << PartitionSchemeName(first[s].scheme);
  }
}

TEST(NewSchemesTest, LabelSchemesRejectLabelsOutsideNumClasses) {
  const std::vector<int64_t> labels = CyclicLabels(100, 10);
  for (const PartitionSpec& spec :
       {LabelsPerClient(5, 2, 1), Shards(5, 2, 1)}) {
    absl::StatusOr<Parts> parts = Partition(labels, 9, spec);
    ASSERT_FALSE(parts.ok());
    EXPECT_EQ(parts.status().message(),
              "label 9 of example 9 is outside [0, 9)");
    parts = Partition(labels, 0, spec);
    ASSERT_FALSE(parts.ok());
    EXPECT_THAT(std::string(parts.status().message()),
                HasSubstr("partition needs num_classes >= 1, got 0"));
  }
}

TEST(NewSchemesTest, RejectBadParameters) {
  const std::vector<int64_t> labels = CyclicLabels(100, 10);
  struct Case {
    PartitionSpec spec;
    const char* words;
  };
  const Case cases[] = {
      {LabelsPerClient(0, 2, 1), "count is 0"},
      {LabelsPerClient(5, 0, 1), "labels_per_client 0 is out of range"},
      {LabelsPerClient(5, 11, 1), "use 1..10"},
      {QuantitySkew(5, 0.0, 1, 1), "alpha 0 is invalid"},
      {QuantitySkew(5, -2.0, 1, 1), "alpha -2 is invalid"},
      {QuantitySkew(11, 0.5, 1, 10),
       "quantity_skew partition of 100 examples into 11 clients cannot give "
       "each client at least 10 examples (min_size 10)"},
      {Shards(0, 2, 1), "count is 0"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Parts> parts = Partition(labels, 10, c.spec);
    ASSERT_FALSE(parts.ok()) << c.words;
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parts.status().message()), HasSubstr(c.words));
  }
}

TEST(PartitionDescriptionTest, NamesTheSchemeAndTheParametersItUses) {
  PartitionSpec spec;
  spec.seed = 7;
  spec.scheme = PartitionScheme::kIid;
  EXPECT_EQ(PartitionDescription(spec), "iid(seed=7)");
  spec.scheme = PartitionScheme::kDirichlet;
  EXPECT_EQ(PartitionDescription(spec),
            "dirichlet(alpha=0.5, min_size=10, seed=7)");
  spec.scheme = PartitionScheme::kQuantitySkew;
  spec.alpha = 0.25;
  spec.min_size = 3;
  EXPECT_EQ(PartitionDescription(spec),
            "quantity_skew(alpha=0.25, min_size=3, seed=7)");
  spec.scheme = PartitionScheme::kLabelsPerClient;
  EXPECT_EQ(PartitionDescription(spec),
            "labels_per_client(labels_per_client=2, seed=7)");
  spec.scheme = PartitionScheme::kShards;
  spec.shards_per_client = 4;
  EXPECT_EQ(PartitionDescription(spec), "shards(shards_per_client=4, seed=7)");
  spec.scheme = PartitionScheme::kFeatureNoise;
  EXPECT_EQ(PartitionDescription(spec),
            "feature_noise(noise_sigma=0.1, seed=7)");
}

}  // namespace
}  // namespace fedge::data
