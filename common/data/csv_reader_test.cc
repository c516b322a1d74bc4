#include "common/data/csv_reader.h"

#include <string>

#include "absl/status/status.h"
#include "common/data/idx_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::data {
namespace {

using ::fedge::data::testing::WriteRaw;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ReadCsvTest, ReadsHeaderCrlfAndTrailingBlankLines) {
  const std::string path = WriteRaw("happy.csv",
                                    "label,a,b,c\r\n"
                                    "2,0.5,-1.25,3\r\n"
                                    "0, 1e-3 ,4,  -0\r\n"
                                    "1,7,8,9.75\r\n"
                                    "\r\n"
                                    "\n");
  absl::StatusOr<Dataset> d = ReadCsv(path, CsvOptions{});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->example_shape, ElementsAre(3));
  EXPECT_THAT(d->features, ElementsAre(0.5f, -1.25f, 3.0f, 0.001f, 4.0f, -0.0f,
                                       7.0f, 8.0f, 9.75f));
  EXPECT_THAT(d->labels, ElementsAre(2, 0, 1));
  EXPECT_EQ(d->num_classes, 3);
}

TEST(ReadCsvTest, LastColumnLabelShapeScaleAndClassCount) {
  const std::string path = WriteRaw("noheader.csv",
                                    "2,4,6,8,3\n"
                                    "10,12,14,16,0.0\n"
                                    "1,1,1,1,4");  // no final newline
  CsvOptions options;
  options.has_header = false;
  options.label_column = -1;
  options.example_shape = {1, 2, 2};
  options.num_classes = 5;
  options.feature_scale = 0.5f;
  absl::StatusOr<Dataset> d = ReadCsv(path, options);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->example_shape, ElementsAre(1, 2, 2));
  EXPECT_THAT(d->features,
              ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 0.5f, 0.5f, 0.5f, 0.5f));
  EXPECT_THAT(d->labels, ElementsAre(3, 0, 4));
  EXPECT_EQ(d->num_classes, 5);
}

TEST(ReadCsvTest, LabelInMiddleColumn) {
  const std::string path = WriteRaw("middle.csv", "x,y,z\n1.5,1,2.5\n");
  CsvOptions options;
  options.label_column = 1;
  absl::StatusOr<Dataset> d = ReadCsv(path, options);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_THAT(d->features, ElementsAre(1.5f, 2.5f));
  EXPECT_THAT(d->labels, ElementsAre(1));
  EXPECT_EQ(d->num_classes, 2);
}

CsvOptions LabelLast() {
  CsvOptions options;
  options.label_column = -1;
  return options;
}

void ExpectError(const std::string& name, const std::string& content,
                 const CsvOptions& options, const std::string& where,
                 const std::string& words) {
  const std::string path = WriteRaw(name, content);
  absl::StatusOr<Dataset> d = ReadCsv(path, options);
  ASSERT_FALSE(d.ok()) << name;
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument)
      << d.status();
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr(path + where), HasSubstr(words)));
}

TEST(ReadCsvTest, NonNumericFeatureNamesLineAndColumn) {
  ExpectError("nonnum.csv", "label,a,b\n1,2,3\n0,4,abc\n", CsvOptions{},
              ":3:3:", "\"abc\" in column 3 (\"b\") is not a finite number");
}

TEST(ReadCsvTest, NonFiniteFeatureIsRejected) {
  ExpectError("nan.csv", "label,a\n1,nan\n", CsvOptions{},
              ":2:2:", "\"nan\" in column 2 (\"a\") is not a finite number");
  ExpectError("inf.csv", "label,a\n1,1e60\n", CsvOptions{},
              ":2:2:", "not a finite number");
}

TEST(ReadCsvTest, EmptyFieldIsRejected) {
  ExpectError("emptyfield.csv", "label,a,b\r\n1,,3\r\n", CsvOptions{},
              ":2:2:", "\"\" in column 2");
}

TEST(ReadCsvTest, TooFewColumnsNamesLineAndFirstMissingColumn) {
  ExpectError("few.csv", "label,a,b\n1,2,3\n1,2,3\n0,4\n", CsvOptions{},
              ":4:3:", "row has 2 columns, expected 3 (as on line 1)");
}

TEST(ReadCsvTest, TooManyColumnsNamesLineAndFirstExtraColumn) {
  CsvOptions options;
  options.has_header = false;
  ExpectError("many.csv", "1,2,3\n0,4,5,6\n", options,
              ":2:4:", "row has 4 columns, expected 3");
}

TEST(ReadCsvTest, BlankLineInsideTheDataIsRejected) {
  ExpectError("blank.csv", "label,a\n1,2\n\n0,3\n", CsvOptions{},
              ":3:1:", "empty line");
}

TEST(ReadCsvTest, NegativeLabelIsRejected) {
  ExpectError("neg.csv", "label,a\n1,2\n-1,3\n", CsvOptions{}, ":3:1:",
              "label \"-1\" in column 1 (\"label\") is not a non-negative "
              "integer");
}

TEST(ReadCsvTest, NonIntegerLabelIsRejected) {
  ExpectError("frac.csv", "a,label\n2,2.5\n", LabelLast(),
              ":2:2:", "label \"2.5\"");
  ExpectError("word.csv", "a,label\n2,cat\n", LabelLast(),
              ":2:2:", "label \"cat\"");
}

TEST(ReadCsvTest, LabelAtOrAboveNumClassesIsRejected) {
  CsvOptions options;
  options.num_classes = 3;
  ExpectError("big.csv", "label,a\n2,1\n3,1\n", options, ":3:1:",
              "label 3 in column 1 (\"label\") is not below num_classes 3");
}

TEST(ReadCsvTest, ShapeNotMatchingFeatureCountIsRejected) {
  CsvOptions options;
  options.example_shape = {2, 2};
  ExpectError("shape.csv", "label,a,b,c\n1,2,3,4\n", options, ":",
              "example_shape {2, 2} does not hold the 3 feature columns");
}

TEST(ReadCsvTest, LabelColumnOutOfRangeIsRejected) {
  CsvOptions options;
  options.label_column = 3;
  ExpectError("labelcol.csv", "label,a,b\n1,2,3\n", options, ":",
              "label_column 3 is out of range for 3 columns");
}

TEST(ReadCsvTest, HeaderWithoutRowsIsRejected) {
  ExpectError("headeronly.csv", "label,a\r\n\r\n", CsvOptions{}, ":",
              "no data rows");
}

TEST(ReadCsvTest, MissingFileIsNotFound) {
  const std::string path = testing::TestDir() + "/no-such.csv";
  absl::StatusOr<Dataset> d = ReadCsv(path, CsvOptions{});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr(path));
}

}  // namespace
}  // namespace fedge::data
