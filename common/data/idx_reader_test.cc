#include "common/data/idx_reader.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/data/idx_test_util.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::fedge::data::testing::IdxImages;
using ::fedge::data::testing::IdxLabels;
using ::fedge::data::testing::ReadAll;
using ::fedge::data::testing::WriteGzip;
using ::fedge::data::testing::WriteRaw;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Three 2×3 images and their labels.
const std::vector<uint8_t> kPixels = {0,   255, 51,  102, 1,  254,  //
                                      10,  20,  30,  40,  50, 60,   //
                                      128, 127, 200, 100, 0,  255};
const std::vector<uint8_t> kLabels = {4, 0, 2};

void ExpectSmallDataset(const Dataset& d) {
  EXPECT_THAT(d.example_shape, ElementsAre(1, 2, 3));
  ASSERT_EQ(d.features.size(), kPixels.size());
  for (size_t i = 0; i < kPixels.size(); ++i) {
    EXPECT_EQ(d.features[i], static_cast<float>(kPixels[i]) / 255.0f) << i;
  }
  EXPECT_EQ(d.features[1], 1.0f);
  EXPECT_EQ(d.features[0], 0.0f);
  EXPECT_THAT(d.labels, ElementsAre(4, 0, 2));
  EXPECT_EQ(d.num_classes, 5);
}

TEST(ReadIdxTest, RoundTripsGzipFilesExactly) {
  const std::string images =
      WriteGzip("rt-images.gz", IdxImages(3, 2, 3, kPixels));
  const std::string labels = WriteGzip("rt-labels.gz", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectSmallDataset(*d);
}

TEST(ReadIdxTest, RoundTripsRawFilesExactly) {
  const std::string images = WriteRaw("rt-images", IdxImages(3, 2, 3, kPixels));
  const std::string labels = WriteRaw("rt-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectSmallDataset(*d);
}

TEST(ReadIdxTest, DetectsGzipFromContentNotFileName) {
  // A gzip file without ".gz" and a raw file with it.
  const std::string images =
      WriteGzip("name-images.idx", IdxImages(3, 2, 3, kPixels));
  const std::string labels = WriteRaw("name-labels.gz", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ASSERT_TRUE(d.ok()) << d.status();
  ExpectSmallDataset(*d);
}

TEST(ReadIdxTest, ReadsLargeGzipFileAcrossManyChunks) {
  // 3000 images of 30×30 (2.7 MB) cross the reader's 1 MiB chunks.
  constexpr uint32_t kCount = 3000;
  std::vector<uint8_t> pixels(kCount * 900);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = (i * 7 + i / 900) % 256;
  std::vector<uint8_t> labels(kCount);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = i % 3;
  absl::StatusOr<Dataset> d =
      ReadIdx(WriteGzip("big-images.gz", IdxImages(kCount, 30, 30, pixels)),
              WriteGzip("big-labels.gz", IdxLabels(kCount, labels)));
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->features.size(), pixels.size());
  for (size_t i = 0; i < pixels.size(); i += 9973) {
    EXPECT_EQ(d->features[i], pixels[i] / 255.0f) << i;
  }
  EXPECT_EQ(d->features.back(), pixels.back() / 255.0f);
  EXPECT_EQ(d->num_classes, 3);
}

void ExpectInvalid(const absl::StatusOr<Dataset>& d, const std::string& path,
                   const std::string& words) {
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument)
      << d.status();
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr(path), HasSubstr(words)));
}

TEST(ReadIdxTest, RejectsBadImageMagic) {
  std::string bytes = IdxImages(3, 2, 3, kPixels);
  bytes[3] = 0x01;  // a label magic where an image magic belongs
  const std::string images = WriteRaw("badmagic-images", bytes);
  const std::string labels = WriteRaw("badmagic-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "magic number is 0x00000801, expected 0x00000803");
}

TEST(ReadIdxTest, RejectsBadLabelMagic) {
  const std::string images =
      WriteRaw("badlmagic-images", IdxImages(3, 2, 3, kPixels));
  std::string bytes = IdxLabels(3, kLabels);
  bytes[0] = 0x7f;
  const std::string labels = WriteRaw("badlmagic-labels", bytes);
  ExpectInvalid(ReadIdx(images, labels), labels,
                "magic number is 0x7f000801, expected 0x00000801");
}

TEST(ReadIdxTest, RejectsTruncatedImages) {
  std::string bytes = IdxImages(3, 2, 3, kPixels);
  bytes.resize(bytes.size() - 8);
  const std::string images = WriteGzip("trunc-images.gz", bytes);
  const std::string labels = WriteRaw("trunc-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "truncated");
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("promises 18 bytes"), HasSubstr("found 10")));
}

TEST(ReadIdxTest, RejectsTruncatedLabels) {
  const std::string images =
      WriteRaw("truncl-images", IdxImages(3, 2, 3, kPixels));
  const std::string labels = WriteRaw("truncl-labels", IdxLabels(3, {4, 0}));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, labels, "truncated");
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("promises 3 bytes"), HasSubstr("found 2")));
}

TEST(ReadIdxTest, RejectsTruncatedHeader) {
  const std::string images =
      WriteRaw("trunch-images", IdxImages(3, 2, 3, kPixels).substr(0, 10));
  const std::string labels = WriteRaw("trunch-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "header needs 16 bytes, found 10");
}

TEST(ReadIdxTest, RejectsEmptyFile) {
  const std::string images = WriteRaw("empty-images", "");
  const std::string labels = WriteRaw("empty-labels", IdxLabels(3, kLabels));
  ExpectInvalid(ReadIdx(images, labels), images, "found 0");
}

TEST(ReadIdxTest, RejectsTrailingBytes) {
  const std::string images = WriteGzip(
      "trail-images.gz", IdxImages(3, 2, 3, kPixels) + std::string("xyz"));
  const std::string labels = WriteRaw("trail-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "3 trailing bytes after the 18 bytes");
}

TEST(ReadIdxTest, RejectsTrailingLabelBytes) {
  const std::string images =
      WriteRaw("traill-images", IdxImages(3, 2, 3, kPixels));
  const std::string labels =
      WriteRaw("traill-labels", IdxLabels(3, {4, 0, 2, 1}));
  ExpectInvalid(ReadIdx(images, labels), labels, "1 trailing bytes");
}

TEST(ReadIdxTest, RejectsCountMismatch) {
  const std::string images =
      WriteRaw("count-images", IdxImages(3, 2, 3, kPixels));
  const std::string labels = WriteRaw("count-labels", IdxLabels(2, {4, 0}));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "holds 3 images");
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr(labels), HasSubstr("holds 2 labels")));
}

TEST(ReadIdxTest, RejectsHugeDimensionsWithoutAllocating) {
  // 4294967295 × 65536 × 65536 would overflow 64 bits; the cap stops it.
  const std::string images =
      WriteRaw("huge-images", IdxImages(0xffffffffu, 0x10000, 0x10000, {}));
  const std::string labels = WriteRaw("huge-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "4294967295 x 65536 x 65536 exceed the limit");
}

TEST(ReadIdxTest, RejectsHugeDimensionsOfZeroImages) {
  // Found by fuzz/idx_reader: zero images of 4294967295 × 4294967295 pixels
  // were accepted, and rows × cols overflowed in whoever sized an example.
  const std::string images =
      WriteRaw("zero-huge-images", IdxImages(0, 0xffffffffu, 0xffffffffu, {}));
  const std::string labels = WriteRaw("zero-huge-labels", IdxLabels(0, {}));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "0 x 4294967295 x 4294967295 exceed the limit");
}

TEST(ReadIdxTest, RejectsHugeLabelCount) {
  const std::string images =
      WriteRaw("hugel-images", IdxImages(3, 2, 3, kPixels));
  const std::string labels =
      WriteGzip("hugel-labels.gz", IdxLabels(0xfffffff0u, {1, 2}));
  ExpectInvalid(ReadIdx(images, labels), labels, "exceed the limit");
}

TEST(ReadIdxTest, ClaimOfManyBytesInTinyFileIsTruncationNotAllocation) {
  // 2,000,000 images of 28×28 is within the cap (1.568e9 bytes) but the file
  // holds 6: the reader must report it, having grown its buffer only as far
  // as the data it found.
  const std::string images = WriteGzip(
      "claim-images.gz", IdxImages(2000000, 28, 28, {1, 2, 3, 4, 5, 6}));
  const std::string labels = WriteRaw("claim-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "promises 1568000000 bytes");
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("found 6"));
}

TEST(ReadIdxTest, RejectsGzipStreamCutShort) {
  const std::string full =
      ReadAll(WriteGzip("cut-full.gz", IdxImages(3, 2, 3, kPixels)));
  const std::string images =
      WriteRaw("cut-images.gz", full.substr(0, full.size() / 2));
  const std::string labels = WriteRaw("cut-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(images));
}

TEST(ReadIdxTest, RejectsCorruptGzipData) {
  std::string bytes =
      ReadAll(WriteGzip("corrupt-full.gz", IdxImages(3, 2, 3, kPixels)));
  // Break the CRC-32 in the gzip trailer (8 bytes from the end).
  bytes[bytes.size() - 8] ^= 0x55;
  const std::string images = WriteRaw("corrupt-images.gz", bytes);
  const std::string labels = WriteRaw("corrupt-labels", IdxLabels(3, kLabels));
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ExpectInvalid(d, images, "corrupt gzip data");
}

TEST(ReadIdxTest, MissingFileIsNotFoundNamingIt) {
  const std::string labels = WriteRaw("missing-labels", IdxLabels(3, kLabels));
  const std::string images = testing::TestDir() + "/no-such-images";
  absl::StatusOr<Dataset> d = ReadIdx(images, labels);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(images));
}

TEST(ReadIdxTest, EmptyDataSetHasNoClasses) {
  absl::StatusOr<Dataset> d =
      ReadIdx(WriteRaw("zero-images", IdxImages(0, 28, 28, {})),
              WriteRaw("zero-labels", IdxLabels(0, {})));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->size(), 0u);
  EXPECT_EQ(d->num_classes, 0);
  EXPECT_THAT(d->example_shape, ElementsAre(1, 28, 28));
}

// The real data set, from Debian's dataset-fashion-mnist.
class FashionMnistTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<Dataset> train =
        ReadFashionMnist(kDefaultFashionMnistDir, "train");
    ASSERT_TRUE(train.ok()) << train.status();
    train_ = new Dataset(*std::move(train));
    absl::StatusOr<Dataset> test =
        ReadFashionMnist(kDefaultFashionMnistDir, "test");
    ASSERT_TRUE(test.ok()) << test.status();
    test_ = new Dataset(*std::move(test));
  }
  static void TearDownTestSuite() {
    delete train_;
    delete test_;
    train_ = nullptr;
    test_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(train_, nullptr) << "install the package dataset-fashion-mnist";
    ASSERT_NE(test_, nullptr);
  }

  static Dataset* train_;
  static Dataset* test_;
};

Dataset* FashionMnistTest::train_ = nullptr;
Dataset* FashionMnistTest::test_ = nullptr;

TEST_F(FashionMnistTest, TrainHas60000ExamplesOf1x28x28) {
  EXPECT_EQ(train_->size(), 60000u);
  EXPECT_THAT(train_->example_shape, ElementsAre(1, 28, 28));
  EXPECT_EQ(train_->features.size(), 60000u * 784u);
  EXPECT_EQ(train_->num_classes, 10);
}

TEST_F(FashionMnistTest, TestHas10000ExamplesOf1x28x28) {
  EXPECT_EQ(test_->size(), 10000u);
  EXPECT_THAT(test_->example_shape, ElementsAre(1, 28, 28));
  EXPECT_EQ(test_->features.size(), 10000u * 784u);
  EXPECT_EQ(test_->num_classes, 10);
}

TEST_F(FashionMnistTest, EveryClassHas6000TrainAnd1000TestExamples) {
  EXPECT_THAT(train_->LabelCounts(), ::testing::Each(6000u));
  EXPECT_EQ(train_->LabelCounts().size(), 10u);
  EXPECT_THAT(test_->LabelCounts(), ::testing::Each(1000u));
  EXPECT_EQ(test_->LabelCounts().size(), 10u);
}

// Values read from the files with an independent tool (Python's gzip
// module): the first ten training labels, and the first non-zero pixels of
// training example 0 (an ankle boot) and test example 0.
TEST_F(FashionMnistTest, KnownLabelsAndPixels) {
  EXPECT_THAT(
      std::vector<int64_t>(train_->labels.begin(), train_->labels.begin() + 10),
      ElementsAre(9, 0, 0, 3, 0, 2, 7, 2, 5, 5));
  EXPECT_EQ(test_->labels[0], 9);
  absl::Span<const float> boot = train_->example(0);
  for (int i = 0; i < 96; ++i) EXPECT_EQ(boot[i], 0.0f) << i;
  EXPECT_EQ(boot[96], 1.0f / 255.0f);
  EXPECT_EQ(boot[99], 13.0f / 255.0f);
  EXPECT_EQ(boot[100], 73.0f / 255.0f);
  double sum = 0;
  for (float v : boot) sum += v * 255.0f;
  EXPECT_NEAR(sum, 76247.0, 0.01);
  EXPECT_EQ(test_->example(0)[215], 3.0f / 255.0f);
}

TEST_F(FashionMnistTest, PixelsAreScaledIntoUnitInterval) {
  float lo = 1, hi = 0;
  for (float v : train_->features) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}

TEST(ReadFashionMnistTest, UnknownSplitNamesTheSplitsAndPackage) {
  absl::StatusOr<Dataset> d = ReadFashionMnist(kDefaultFashionMnistDir, "val");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("\"val\""), HasSubstr("\"train\""),
                    HasSubstr("\"test\""), HasSubstr("dataset-fashion-mnist")));
}

TEST(ReadFashionMnistTest, MissingDirNamesTheDebianPackage) {
  const std::string dir = testing::TestDir() + "/no-fashion-mnist-here";
  absl::StatusOr<Dataset> d = ReadFashionMnist(dir, "train");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr(dir), HasSubstr("dataset-fashion-mnist")));
}

TEST(ReadFashionMnistTest, MissingFileNamesTheFileAndPackage) {
  const std::string dir = testing::TestDir() + "/fm-empty";
  ASSERT_TRUE(util::MakeDirectories(dir).ok());
  absl::StatusOr<Dataset> d = ReadFashionMnist(dir, "test");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("t10k-images-idx3-ubyte.gz"),
                    HasSubstr("dataset-fashion-mnist")));
}

TEST(ReadFashionMnistTest, RejectsLabelsAbove9) {
  const std::string dir = testing::TestDir() + "/fm-bad-labels";
  ASSERT_TRUE(util::MakeDirectories(dir).ok());
  WriteGzip("fm-bad-labels/train-images-idx3-ubyte.gz",
            IdxImages(3, 2, 3, kPixels));
  WriteGzip("fm-bad-labels/train-labels-idx1-ubyte.gz",
            IdxLabels(3, {1, 10, 2}));
  absl::StatusOr<Dataset> d = ReadFashionMnist(dir, "train");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("label 10"));
}

}  // namespace
}  // namespace fedge::data
