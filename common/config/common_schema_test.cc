#include "common/config/common_schema.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace fedge::config {
namespace {

// Reads the mapping under "data:" of `yaml` (as "c.yaml", base /cfg) into
// a default DataSource.
absl::Status ReadData(const std::string& yaml, data::DataSource* out) {
  *out = data::DataSource();
  absl::StatusOr<YamlDocument> doc =
      YamlDocument::Parse(yaml, "c.yaml", "/cfg");
  if (!doc.ok()) return doc.status();
  ReadDataSource(doc->root().Child("data"), out);
  return doc->Finish();
}

absl::Status ReadModel(const std::string& yaml, models::ModelSpec* out) {
  absl::StatusOr<YamlDocument> doc =
      YamlDocument::Parse(yaml, "c.yaml", "/cfg");
  if (!doc.ok()) return doc.status();
  ReadModelSpec(doc->root().Child("model"), out);
  return doc->Finish();
}

std::string Message(const absl::Status& status) {
  if (status.ok()) return "OK";
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(DataSourceSchemaTest, AbsentSourceIsFashionMnistTrain) {
  data::DataSource fresh;
  const absl::Status status = ReadData("data:\n", &fresh);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(fresh.format, "fashion_mnist");
  EXPECT_EQ(fresh.dir, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(fresh.split, "train");
  EXPECT_FALSE(fresh.partition.has_value());
}

TEST(DataSourceSchemaTest, ReadsIdxWithResolvedPaths) {
  data::DataSource source;
  const absl::Status status = ReadData(
      "data: {format: idx, images: mnist/imgs.gz, labels: /data/labels.gz}\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(source.format, "idx");
  EXPECT_EQ(source.images_path, "/cfg/mnist/imgs.gz");
  EXPECT_EQ(source.labels_path, "/data/labels.gz");
}

TEST(DataSourceSchemaTest, ReadsCsvOptions) {
  data::DataSource source;
  const absl::Status status = ReadData(
      "data:\n"
      "  format: csv\n"
      "  path: table.csv\n"
      "  label_column: -1\n"
      "  has_header: false\n"
      "  example_shape: [2, 3]\n"
      "  num_classes: 4\n"
      "  feature_scale: 0.5\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(source.csv_path, "/cfg/table.csv");
  EXPECT_EQ(source.csv.label_column, -1);
  EXPECT_FALSE(source.csv.has_header);
  EXPECT_EQ(source.csv.example_shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(source.csv.num_classes, 4);
  EXPECT_FLOAT_EQ(source.csv.feature_scale, 0.5f);
}

TEST(DataSourceSchemaTest, ReadsPartition) {
  data::DataSource source;
  const absl::Status status = ReadData(
      "data:\n"
      "  split: test\n"
      "  partition: {index: 3, count: 8, scheme: dirichlet, alpha: 0.1, "
      "seed: 42, min_size: 5}\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(source.partition.has_value());
  EXPECT_EQ(source.split, "test");
  EXPECT_EQ(source.partition->index, 3u);
  EXPECT_EQ(source.partition->spec.count, 8u);
  EXPECT_EQ(source.partition->spec.scheme, data::PartitionScheme::kDirichlet);
  EXPECT_DOUBLE_EQ(source.partition->spec.alpha, 0.1);
  EXPECT_EQ(source.partition->spec.seed, 42u);
  EXPECT_EQ(source.partition->spec.min_size, 5u);
}

TEST(DataSourceSchemaTest, KeyOfAnotherFormatIsExplained) {
  data::DataSource source;
  EXPECT_EQ(
      Message(ReadData("data:\n  format: csv\n  path: t.csv\n  images: i.gz\n",
                       &source)),
      "c.yaml:4:11: data.images: only used with format 'idx', but "
      "data.format is 'csv' (a csv source is one file, 'path', read as set by "
      "label_column, has_header, example_shape, num_classes and "
      "feature_scale)");
  EXPECT_EQ(
      Message(ReadData("data: {split: test, label_column: 2}\n", &source)),
      "c.yaml:1:35: data.label_column: only used with format 'csv', but "
      "data.format is 'fashion_mnist' (a fashion_mnist source is read "
      "from 'dir' and 'split')");
  EXPECT_EQ(
      Message(ReadData("data: {format: idx, images: a, labels: b, dir: d}\n",
                       &source)),
      "c.yaml:1:48: data.dir: only used with format 'fashion_mnist', but "
      "data.format is 'idx' (an idx source is read from the files 'images' "
      "and 'labels')");
}

TEST(DataSourceSchemaTest, FormatRequiresItsFiles) {
  data::DataSource source;
  EXPECT_EQ(Message(ReadData("data: {format: idx, images: a}\n", &source)),
            "c.yaml: data.labels: required key is missing (an idx source is "
            "read from the files 'images' and 'labels')");
  EXPECT_EQ(Message(ReadData("data: {format: csv, path: \"\"}\n", &source)),
            "c.yaml:1:27: data.path: must not be empty (a csv source is one "
            "file, 'path', read as set by label_column, has_header, "
            "example_shape, num_classes and feature_scale)");
}

TEST(DataSourceSchemaTest, UnknownFormatAndSplit) {
  data::DataSource source;
  EXPECT_EQ(Message(ReadData("data: {format: png, split: dev}\n", &source)),
            "c.yaml:1:16: data.format: unknown value 'png' (accepted: "
            "fashion_mnist, idx, csv)\n"
            "c.yaml:1:28: data.split: unknown value 'dev' (accepted: train, "
            "test)");
}

TEST(DataSourceSchemaTest, PartitionRules) {
  data::DataSource source;
  EXPECT_EQ(
      Message(ReadData("data:\n  partition: {index: 4, count: 4}\n", &source)),
      "c.yaml:2:22: data.partition.index: 4 is out of range (expected "
      "index < data.partition.count, which is 4)");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "alpha: 0.3}\n",
                             &source)),
            "c.yaml:2:42: data.partition.alpha: only used with scheme "
            "'dirichlet' or 'quantity_skew', but data.partition.scheme is "
            "'iid'");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: dirichlet, alpha: 0}\n",
                             &source)),
            "c.yaml:2:61: data.partition.alpha: 0 is out of range (expected "
            "alpha > 0)");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {count: 0, scheme: skew}\n",
                             &source)),
            "c.yaml:2:22: data.partition.count: 0 is out of range (expected "
            "count >= 1)\n"
            "c.yaml:2:33: data.partition.scheme: unknown value 'skew' "
            "(accepted: iid, dirichlet, labels_per_client, quantity_skew, "
            "shards, feature_noise)\n"
            "c.yaml: data.partition.index: required key is missing");
}

TEST(DataSourceSchemaTest, ReadsEachSchemesParameters) {
  data::DataSource source;
  absl::Status status = ReadData(
      "data:\n  partition: {index: 0, count: 8, scheme: labels_per_client, "
      "labels_per_client: 3}\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(source.partition->spec.scheme,
            data::PartitionScheme::kLabelsPerClient);
  EXPECT_EQ(source.partition->spec.labels_per_client, 3u);

  status = ReadData(
      "data:\n  partition: {index: 0, count: 8, scheme: quantity_skew, "
      "alpha: 0.2, min_size: 4}\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(source.partition->spec.scheme,
            data::PartitionScheme::kQuantitySkew);
  EXPECT_DOUBLE_EQ(source.partition->spec.alpha, 0.2);
  EXPECT_EQ(source.partition->spec.min_size, 4u);

  status = ReadData(
      "data:\n  partition: {index: 0, count: 8, scheme: shards, "
      "shards_per_client: 5}\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(source.partition->spec.scheme, data::PartitionScheme::kShards);
  EXPECT_EQ(source.partition->spec.shards_per_client, 5u);

  status = ReadData(
      "data:\n  partition: {index: 0, count: 8, scheme: feature_noise, "
      "noise_sigma: 0.25}\n",
      &source);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(source.partition->spec.scheme,
            data::PartitionScheme::kFeatureNoise);
  EXPECT_DOUBLE_EQ(source.partition->spec.noise_sigma, 0.25);
}

TEST(DataSourceSchemaTest, SchemeParametersOnlyWithTheirScheme) {
  data::DataSource source;
  EXPECT_EQ(Message(ReadData("data:\n  partition:\n    index: 0\n"
                             "    count: 2\n    scheme: shards\n"
                             "    labels_per_client: 2\n"
                             "    noise_sigma: 0.1\n    min_size: 3\n",
                             &source)),
            "c.yaml:6:24: data.partition.labels_per_client: only used with "
            "scheme 'labels_per_client', but data.partition.scheme is "
            "'shards'\n"
            "c.yaml:7:18: data.partition.noise_sigma: only used with scheme "
            "'feature_noise', but data.partition.scheme is 'shards'\n"
            "c.yaml:8:15: data.partition.min_size: only used with scheme "
            "'dirichlet' or 'quantity_skew', but data.partition.scheme is "
            "'shards'");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: dirichlet, shards_per_client: 2}\n",
                             &source)),
            "c.yaml:2:73: data.partition.shards_per_client: only used with "
            "scheme 'shards', but data.partition.scheme is 'dirichlet'");
  // An unknown scheme is reported alone: which keys belong is unknown.
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: patho, labels_per_client: 2}\n",
                             &source)),
            "c.yaml:2:43: data.partition.scheme: unknown value 'patho' "
            "(accepted: iid, dirichlet, labels_per_client, quantity_skew, "
            "shards, feature_noise)");
}

TEST(DataSourceSchemaTest, SchemeParameterRanges) {
  data::DataSource source;
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: labels_per_client, "
                             "labels_per_client: 0}\n",
                             &source)),
            "c.yaml:2:81: data.partition.labels_per_client: 0 is out of "
            "range (expected labels_per_client >= 1)");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: shards, shards_per_client: 0}\n",
                             &source)),
            "c.yaml:2:70: data.partition.shards_per_client: 0 is out of "
            "range (expected shards_per_client >= 1)");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: feature_noise, noise_sigma: -0.5}\n",
                             &source)),
            "c.yaml:2:71: data.partition.noise_sigma: -0.5 is out of range "
            "(expected noise_sigma >= 0)");
  EXPECT_EQ(Message(ReadData("data:\n  partition: {index: 0, count: 2, "
                             "scheme: quantity_skew, alpha: 0}\n",
                             &source)),
            "c.yaml:2:65: data.partition.alpha: 0 is out of range (expected "
            "alpha > 0)");
}

TEST(ModelSpecSchemaTest, ReadsBuiltinModel) {
  models::ModelSpec spec;
  const absl::Status status = ReadModel(
      "model: {kind: mlp, input_shape: [784], num_classes: 3, seed: 9}\n",
      &spec);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(spec.kind, "mlp");
  EXPECT_EQ(spec.input_shape, (std::vector<int64_t>{784}));
  EXPECT_EQ(spec.num_classes, 3);
  EXPECT_EQ(spec.init_seed, 9u);
  EXPECT_EQ(spec.torchscript_path, "");
}

TEST(ModelSpecSchemaTest, TorchscriptKindNeedsItsFile) {
  models::ModelSpec spec;
  EXPECT_EQ(Message(ReadModel("model:\n  kind: torchscript\n", &spec)),
            "c.yaml:2:9: model.kind: 'torchscript' needs model.torchscript, "
            "the file saved with torch.jit.save");
  ASSERT_TRUE(
      ReadModel("model: {kind: torchscript, torchscript: m.pt}\n", &spec).ok());
  EXPECT_EQ(spec.torchscript_path, "/cfg/m.pt");
}

TEST(ModelSpecSchemaTest, BuiltinKindRejectsTorchscriptFile) {
  models::ModelSpec spec;
  EXPECT_EQ(
      Message(ReadModel("model: {kind: cnn, torchscript: m.pt}\n", &spec)),
      "c.yaml:1:33: model.torchscript: only used with kind "
      "'torchscript', but model.kind is 'cnn' (remove it, or set kind: "
      "torchscript)");
}

TEST(ModelSpecSchemaTest, RangesAndKinds) {
  models::ModelSpec spec;
  EXPECT_EQ(Message(ReadModel("model: {kind: rnn, input_shape: [1, 0], "
                              "num_classes: 1}\n",
                              &spec)),
            "c.yaml:1:15: model.kind: unknown value 'rnn' (accepted: mlp, "
            "cnn, torchscript)\n"
            "c.yaml:1:33: model.input_shape: [1, 0] is out of range (expected "
            "every input_shape dimension >= 1; dimension 1 is 0)\n"
            "c.yaml:1:54: model.num_classes: 1 is out of range (expected "
            "num_classes >= 2)");
}

}  // namespace
}  // namespace fedge::config
