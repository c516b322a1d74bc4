#include "common/data/data_source.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/data/idx_test_util.h"
#include "common/data/partition_noise.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::fedge::data::testing::IdxImages;
using ::fedge::data::testing::IdxLabels;
using ::fedge::data::testing::WriteGzip;
using ::fedge::data::testing::WriteRaw;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 40 one-pixel images; pixel value = index, label = index % 4.
DataSource SmallIdxSource() {
  std::vector<uint8_t> pixels(40);
  std::vector<uint8_t> labels(40);
  for (uint8_t i = 0; i < 40; ++i) {
    pixels[i] = i;
    labels[i] = i % 4;
  }
  DataSource source;
  source.format = "idx";
  source.images_path = WriteGzip("ds-images.gz", IdxImages(40, 1, 1, pixels));
  source.labels_path = WriteRaw("ds-labels", IdxLabels(40, labels));
  return source;
}

TEST(LoadDataSourceTest, ReadsIdxWithoutPartition) {
  absl::StatusOr<Dataset> d = LoadDataSource(SmallIdxSource());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->size(), 40u);
  EXPECT_EQ(d->features[39], 39.0f / 255.0f);
  EXPECT_EQ(d->num_classes, 4);
}

TEST(LoadDataSourceTest, ReadsCsv) {
  DataSource source;
  source.format = "csv";
  source.csv_path = WriteRaw("ds.csv", "label,a,b\n1,0.5,2\n0,3,4\n");
  absl::StatusOr<Dataset> d = LoadDataSource(source);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->features, ElementsAre(0.5f, 2, 3, 4));
  EXPECT_THAT(d->labels, ElementsAre(1, 0));
}

TEST(LoadDataSourceTest, PartitionKeepsThisClientsPartOfTheSplit) {
  DataSource source = SmallIdxSource();
  source.partition.emplace();
  source.partition->spec.scheme = PartitionScheme::kDirichlet;
  source.partition->spec.count = 3;
  source.partition->spec.alpha = 0.5;
  source.partition->spec.seed = 9;
  source.partition->spec.min_size = 2;
  absl::StatusOr<Dataset> full = LoadDataSource(SmallIdxSource());
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<std::vector<std::vector<size_t>>> parts =
      Partition(full->labels, full->num_classes, source.partition->spec);
  ASSERT_TRUE(parts.ok()) << parts.status();
  for (size_t k = 0; k < 3; ++k) {
    source.partition->index = k;
    absl::StatusOr<Dataset> d = LoadDataSource(source);
    ASSERT_TRUE(d.ok()) << d.status();
    const Dataset expected = full->Subset((*parts)[k]);
    EXPECT_EQ(d->features, expected.features) << k;
    EXPECT_EQ(d->labels, expected.labels) << k;
    EXPECT_EQ(d->num_classes, 4);
  }
}

TEST(LoadDataSourceTest, FeatureNoiseAddsEachClientsNoiseToItsPart) {
  DataSource source = SmallIdxSource();
  source.partition.emplace();
  source.partition->spec.scheme = PartitionScheme::kFeatureNoise;
  source.partition->spec.count = 4;
  source.partition->spec.noise_sigma = 0.3;
  source.partition->spec.seed = 5;
  absl::StatusOr<Dataset> full = LoadDataSource(SmallIdxSource());
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<std::vector<std::vector<size_t>>> parts =
      Partition(full->labels, full->num_classes, source.partition->spec);
  ASSERT_TRUE(parts.ok()) << parts.status();
  for (size_t k = 0; k < 4; ++k) {
    source.partition->index = k;
    absl::StatusOr<Dataset> d = LoadDataSource(source);
    ASSERT_TRUE(d.ok()) << d.status();
    const Dataset clean = full->Subset((*parts)[k]);
    Dataset expected = clean;
    // sigma_k = 0.3 k / 3.
    const double sigma = FeatureNoiseSigma(source.partition->spec, k);
    EXPECT_NEAR(sigma, 0.1 * static_cast<double>(k), 1e-15);
    ASSERT_TRUE(AddFeatureNoise(&expected, sigma, FeatureNoiseSeed(5, k)).ok());
    EXPECT_EQ(d->labels, clean.labels) << k;
    EXPECT_EQ(d->features, expected.features) << k;
    // Client 0 is left clean; the others are not.
    EXPECT_EQ(d->features == clean.features, k == 0) << k;
  }
}

TEST(LoadDataSourceTest, UnknownFormatListsAcceptedFormats) {
  DataSource source;
  source.format = "parquet";
  absl::StatusOr<Dataset> d = LoadDataSource(source);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(d.status().message()),
      AllOf(HasSubstr("\"parquet\""), HasSubstr("fashion_mnist, idx, csv")));
}

TEST(LoadDataSourceTest, MissingPathsNameTheSetting) {
  DataSource idx;
  idx.format = "idx";
  idx.images_path = "x";
  absl::StatusOr<Dataset> d = LoadDataSource(idx);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("labels_path"));
  DataSource csv;
  csv.format = "csv";
  d = LoadDataSource(csv);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("csv_path"));
}

TEST(LoadDataSourceTest, PartitionIndexMustBeBelowCount) {
  DataSource source = SmallIdxSource();
  source.partition.emplace();
  source.partition->spec.count = 4;
  source.partition->index = 4;
  absl::StatusOr<Dataset> d = LoadDataSource(source);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("partition.index 4"), HasSubstr("count 4"),
                    HasSubstr("0..3")));
}

TEST(LoadDataSourceTest, PartitionErrorsPassThrough) {
  DataSource source = SmallIdxSource();
  source.partition.emplace();
  source.partition->spec.count = 41;
  source.partition->index = 0;
  absl::StatusOr<Dataset> d = LoadDataSource(source);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("41 clients"));
}

TEST(LoadDataSourceTest, FashionMnistDirichletPartsAreDisjointAndCoverTrain) {
  DataSource source;  // defaults: fashion_mnist, Debian's dir, train
  source.partition.emplace();
  source.partition->spec.scheme = PartitionScheme::kDirichlet;
  source.partition->spec.count = 4;
  source.partition->spec.alpha = 0.5;
  source.partition->spec.seed = 7;
  absl::StatusOr<Dataset> full = LoadDataSource(DataSource{});
  ASSERT_TRUE(full.ok()) << full.status();
  absl::StatusOr<std::vector<std::vector<size_t>>> parts =
      Partition(full->labels, full->num_classes, source.partition->spec);
  ASSERT_TRUE(parts.ok()) << parts.status();

  std::vector<int> owner(60000, -1);
  size_t total = 0;
  for (size_t k = 0; k < 4; ++k) {
    source.partition->index = k;
    absl::StatusOr<Dataset> d = LoadDataSource(source);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->num_classes, 10);
    EXPECT_THAT(d->example_shape, ElementsAre(1, 28, 28));
    ASSERT_EQ(d->size(), (*parts)[k].size());
    // The loaded part is exactly the examples the partition names.
    const Dataset expected = full->Subset((*parts)[k]);
    EXPECT_EQ(d->labels, expected.labels);
    EXPECT_TRUE(d->features == expected.features) << k;
    for (size_t i : (*parts)[k]) {
      ASSERT_EQ(owner[i], -1) << "example " << i << " in two parts";
      owner[i] = static_cast<int>(k);
    }
    total += d->size();
  }
  EXPECT_EQ(total, 60000u);
  EXPECT_EQ(std::count(owner.begin(), owner.end(), -1), 0);
}

}  // namespace
}  // namespace fedge::data
