#include "common/data/dataset.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::testing::ElementsAre;

// Four examples of shape {1, 2}: example i holds {i, 10 + i}.
Dataset Small() {
  Dataset d;
  d.example_shape = {1, 2};
  d.features = {0, 10, 1, 11, 2, 12, 3, 13};
  d.labels = {2, 0, 2, 1};
  d.num_classes = 4;
  return d;
}

TEST(DatasetTest, ExampleSizeIsProductOfShape) {
  Dataset d = Small();
  EXPECT_EQ(d.example_size(), 2u);
  d.example_shape = {1, 28, 28};
  EXPECT_EQ(d.example_size(), 784u);
}

TEST(DatasetTest, ExampleReturnsThatExamplesFeatures) {
  const Dataset d = Small();
  EXPECT_EQ(d.size(), 4u);
  EXPECT_THAT(d.example(0), ElementsAre(0, 10));
  EXPECT_THAT(d.example(3), ElementsAre(3, 13));
}

TEST(DatasetTest, SubsetKeepsGivenOrderAndMetadata) {
  const Dataset d = Small();
  const std::vector<size_t> indices = {3, 0, 3};
  const Dataset s = d.Subset(indices);
  EXPECT_THAT(s.example_shape, ElementsAre(1, 2));
  EXPECT_EQ(s.num_classes, 4);
  EXPECT_THAT(s.features, ElementsAre(3, 13, 0, 10, 3, 13));
  EXPECT_THAT(s.labels, ElementsAre(1, 2, 1));
  EXPECT_EQ(d.Subset({}).size(), 0u);
}

TEST(DatasetTest, LabelCountsHasOneEntryPerClass) {
  EXPECT_THAT(Small().LabelCounts(), ElementsAre(1, 1, 2, 0));
}

TEST(DatasetTest, LabelCountsIgnoresOutOfRangeLabels) {
  Dataset d = Small();
  d.labels = {2, -1, 7, 1};
  EXPECT_THAT(d.LabelCounts(), ElementsAre(0, 1, 1, 0));
}

TEST(DatasetTest, ByteSizeCountsFeaturesAndLabels) {
  EXPECT_EQ(Small().ByteSize(), 8 * sizeof(float) + 4 * sizeof(int64_t));
  EXPECT_EQ(Dataset().ByteSize(), 0u);
}

}  // namespace
}  // namespace fedge::data
