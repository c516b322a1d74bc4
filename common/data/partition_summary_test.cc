#include "common/data/partition_summary.h"

#include <cstdint>
#include <string>
#include <vector>

#include "common/data/partition.h"
#include "common/data/partition_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::fedge::data::testing::CyclicLabels;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Three clients: {0, 1, 2}, {3, 4, 5, 6} and none.
PartitionSummary HandMade() {
  const std::vector<int64_t> labels = {0, 1, 1, 2, 0, 2, 2};
  return Summarize({{0, 1, 2}, {3, 4, 5, 6}, {}}, labels, 3, "hand(seed=1)");
}

TEST(SummarizeTest, CountsSizesAndLabelsExactly) {
  const PartitionSummary summary = HandMade();
  EXPECT_EQ(summary.scheme, "hand(seed=1)");
  EXPECT_EQ(summary.num_classes, 3);
  EXPECT_EQ(summary.num_clients(), 3u);
  EXPECT_EQ(summary.total(), 7u);
  EXPECT_THAT(summary.sizes, ElementsAre(3, 4, 0));
  EXPECT_THAT(summary.label_counts,
              ElementsAre(ElementsAre(1, 2, 0), ElementsAre(1, 0, 3),
                          ElementsAre(0, 0, 0)));
}

TEST(SummarizeTest, OutOfRangeIndexOrLabelCountsInSizeOnly) {
  const std::vector<int64_t> labels = {0, 5, -1};
  const PartitionSummary summary = Summarize({{0, 1, 2, 9}}, labels, 2, "odd");
  EXPECT_THAT(summary.sizes, ElementsAre(4));
  EXPECT_THAT(summary.label_counts, ElementsAre(ElementsAre(1, 0)));
}

TEST(SummarizeTest, MatchesARealPartition) {
  const std::vector<int64_t> labels = CyclicLabels(1000, 10);
  PartitionSpec spec;
  spec.scheme = PartitionScheme::kShards;
  spec.count = 10;
  spec.shards_per_client = 2;
  absl::StatusOr<std::vector<std::vector<size_t>>> parts =
      Partition(labels, 10, spec);
  ASSERT_TRUE(parts.ok()) << parts.status();
  const PartitionSummary summary =
      Summarize(*parts, labels, 10, PartitionDescription(spec));
  EXPECT_EQ(summary.scheme, "shards(shards_per_client=2, seed=0)");
  EXPECT_EQ(summary.total(), 1000u);
  for (size_t k = 0; k < 10; ++k) {
    EXPECT_EQ(summary.sizes[k], 100u);
    size_t sum = 0;
    for (size_t c = 0; c < 10; ++c) {
      sum += summary.label_counts[k][c];
      // Whole shards of 50 examples of one label.
      EXPECT_EQ(summary.label_counts[k][c] % 50, 0u);
    }
    EXPECT_EQ(sum, 100u);
  }
}

TEST(SummaryTextTest, ShowsStatisticsAndATableOfClients) {
  EXPECT_EQ(SummaryText(HandMade()),
            "partition hand(seed=1): 3 clients, 7 examples, 3 classes\n"
            "examples per client: min 0, median 3, mean 2.33333, max 4\n"
            "labels per client: min 0, median 2, mean 1.33333, max 2\n"
            "client  size  labels  c0  c1  c2\n"
            "     0     3       2   1   2   0\n"
            "     1     4       2   1   0   3\n"
            "     2     0       0   0   0   0\n"
            "   all     7           2   2   3\n");
}

TEST(SummaryTextTest, LimitsTheTableButTotalsEveryClient) {
  const std::string text = SummaryText(HandMade(), /*max_clients=*/1);
  EXPECT_THAT(text, HasSubstr("     0     3       2   1   2   0\n"
                              "   all     7           2   2   3\n"
                              "(2 more clients not shown)\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("     1     4")));
  EXPECT_THAT(text, HasSubstr("examples per client: min 0, median 3"));
}

TEST(SummaryTextTest, EmptySummaryIsOneLine) {
  EXPECT_EQ(SummaryText(PartitionSummary{}),
            "partition : 0 clients, 0 examples, 0 classes\n");
}

TEST(SummaryJsonTest, TwoClientsExactText) {
  const std::vector<int64_t> labels = {1, 0, 1};
  const PartitionSummary summary =
      Summarize({{0, 1}, {2}}, labels, 2, "iid(seed=\"3\")");
  EXPECT_EQ(SummaryJson(summary),
            "{\"scheme\":\"iid(seed=\\\"3\\\")\",\"num_classes\":2,"
            "\"num_clients\":2,\"total\":3,\"size_min\":1,"
            "\"size_median\":1.5,\"size_mean\":1.5,\"size_max\":2,"
            "\"clients\":[{\"size\":2,\"label_counts\":[1,1]},"
            "{\"size\":1,\"label_counts\":[0,1]}]}");
}

TEST(SummaryJsonTest, NoClientsGiveNullStatistics) {
  EXPECT_EQ(SummaryJson(PartitionSummary{}),
            "{\"scheme\":\"\",\"num_classes\":0,\"num_clients\":0,"
            "\"total\":0,\"size_min\":null,\"size_median\":null,"
            "\"size_mean\":null,\"size_max\":null,\"clients\":[]}");
}

}  // namespace
}  // namespace fedge::data
