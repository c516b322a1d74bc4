#include "common/config/common_schema.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/value_checks.h"
#include "common/data/partition.h"

namespace fedge::config {
namespace {

constexpr char kFashionMnist[] = "fashion_mnist";
constexpr char kIdx[] = "idx";
constexpr char kCsv[] = "csv";

// Which format each format-specific key of a data source belongs to.
struct FormatKey {
  const char* key;
  const char* format;
};
constexpr FormatKey kFormatKeys[] = {
    {"dir", kFashionMnist},  {"split", kFashionMnist}, {"images", kIdx},
    {"labels", kIdx},        {"path", kCsv},           {"label_column", kCsv},
    {"has_header", kCsv},    {"example_shape", kCsv},  {"num_classes", kCsv},
    {"feature_scale", kCsv},
};

// What a source of `format` reads, for messages about misplaced keys.
std::string WhatFormatReads(const std::string& format) {
  if (format == kFashionMnist) {
    return "a fashion_mnist source is read from 'dir' and 'split'";
  }
  if (format == kIdx) {
    return "an idx source is read from the files 'images' and 'labels'";
  }
  return "a csv source is one file, 'path', read as set by label_column, "
         "has_header, example_shape, num_classes and feature_scale";
}

// The partition keys that only some schemes use, and those schemes.
struct SchemeKey {
  const char* key;
  std::vector<data::PartitionScheme> schemes;
};
const std::vector<SchemeKey>& SchemeKeys() {
  using data::PartitionScheme;
  static const std::vector<SchemeKey>* const kKeys = new std::vector<SchemeKey>{
      {"alpha", {PartitionScheme::kDirichlet, PartitionScheme::kQuantitySkew}},
      {"min_size",
       {PartitionScheme::kDirichlet, PartitionScheme::kQuantitySkew}},
      {"labels_per_client", {PartitionScheme::kLabelsPerClient}},
      {"shards_per_client", {PartitionScheme::kShards}},
      {"noise_sigma", {PartitionScheme::kFeatureNoise}},
  };
  return *kKeys;
}

// "'dirichlet' or 'quantity_skew'".
std::string SchemeList(const std::vector<data::PartitionScheme>& schemes) {
  std::string list;
  for (size_t i = 0; i < schemes.size(); ++i) {
    absl::StrAppend(&list, i == 0 ? "" : " or ", "'",
                    data::PartitionSchemeName(schemes[i]), "'");
  }
  return list;
}

void ReadPartition(MapReader partition, data::DataSource* out) {
  data::DataSource::PartitionRef ref;
  const bool index_ok = partition.Required("index", &ref.index);
  const bool count_ok =
      partition.Required("count", &ref.spec.count, AtLeast<uint64_t>(1));
  ReadPartitionSpec(partition, &ref.spec);
  if (index_ok && count_ok && ref.index >= ref.spec.count) {
    partition.Fail(
        "index", absl::StrCat(ref.index, " is out of range (expected index < ",
                              partition.KeyPath("count"), ", which is ",
                              ref.spec.count, ")"));
  }
  out->partition = ref;
}

}  // namespace

void ReadPartitionSpec(MapReader partition, data::PartitionSpec* spec) {
  std::string scheme = data::PartitionSchemeName(spec->scheme);
  bool scheme_ok = partition.Optional("scheme", &scheme);
  if (scheme_ok) {
    absl::StatusOr<data::PartitionScheme> parsed =
        data::ParsePartitionScheme(scheme);
    if (parsed.ok()) {
      spec->scheme = *parsed;
    } else {
      scheme_ok = false;
      partition.Fail(
          "scheme",
          absl::StrCat("unknown value '", scheme, "' (accepted: ",
                       absl::StrJoin(data::PartitionSchemeNames(), ", "), ")"));
    }
  }
  partition.Optional("alpha", &spec->alpha, GreaterThan(0.0));
  partition.Optional("seed", &spec->seed);
  partition.Optional("min_size", &spec->min_size);
  partition.Optional("labels_per_client", &spec->labels_per_client,
                     AtLeast<uint64_t>(1));
  partition.Optional("shards_per_client", &spec->shards_per_client,
                     AtLeast<uint64_t>(1));
  partition.Optional("noise_sigma", &spec->noise_sigma, AtLeast(0.0));
  // With an unknown scheme there is no telling which keys belong.
  if (!scheme_ok) return;
  for (const SchemeKey& entry : SchemeKeys()) {
    if (!partition.Has(entry.key) ||
        std::find(entry.schemes.begin(), entry.schemes.end(), spec->scheme) !=
            entry.schemes.end()) {
      continue;
    }
    partition.Fail(entry.key, absl::StrCat("only used with scheme ",
                                           SchemeList(entry.schemes), ", but ",
                                           partition.KeyPath("scheme"), " is '",
                                           scheme, "'"));
  }
}

void ReadModelSpec(MapReader model, models::ModelSpec* spec) {
  const bool kind_ok =
      model.Optional("kind", &spec->kind, OneOf({"mlp", "cnn", "torchscript"}));
  model.OptionalPath("torchscript", &spec->torchscript_path);
  model.Optional("input_shape", &spec->input_shape, Shape(false));
  model.Optional("num_classes", &spec->num_classes, AtLeast<int64_t>(2));
  model.Optional("seed", &spec->init_seed);
  if (!kind_ok) return;
  if (spec->kind == "torchscript" && spec->torchscript_path.empty()) {
    model.Fail("kind", absl::StrCat("'torchscript' needs ",
                                    model.KeyPath("torchscript"),
                                    ", the file saved with torch.jit.save"));
  }
  if (models::IsBuiltinKind(spec->kind) && !spec->torchscript_path.empty()) {
    model.Fail("torchscript",
               absl::StrCat("only used with kind 'torchscript', but ",
                            model.KeyPath("kind"), " is '", spec->kind,
                            "' (remove it, or set kind: torchscript)"));
  }
}

void ReadDataSource(MapReader source, data::DataSource* out) {
  const bool format_ok = source.Optional("format", &out->format,
                                         OneOf({kFashionMnist, kIdx, kCsv}));
  source.OptionalPath("dir", &out->dir);
  source.Optional("split", &out->split, OneOf({"train", "test"}));
  source.OptionalPath("images", &out->images_path);
  source.OptionalPath("labels", &out->labels_path);
  source.OptionalPath("path", &out->csv_path);
  source.Optional("label_column", &out->csv.label_column, AtLeast(-1));
  source.Optional("has_header", &out->csv.has_header);
  source.Optional("example_shape", &out->csv.example_shape, Shape(true));
  source.Optional("num_classes", &out->csv.num_classes, AtLeast<int64_t>(0));
  source.Optional("feature_scale", &out->csv.feature_scale, GreaterThan(0.0f));
  MapReader partition = source.Child("partition");
  if (partition.present()) ReadPartition(partition, out);

  if (!format_ok) return;
  for (const FormatKey& entry : kFormatKeys) {
    if (entry.format != out->format && source.Has(entry.key)) {
      source.Fail(
          entry.key,
          absl::StrCat("only used with format '", entry.format, "', but ",
                       source.KeyPath("format"), " is '", out->format, "' (",
                       WhatFormatReads(out->format), ")"));
    }
  }
  auto require = [&](const char* key, const std::string& value) {
    if (!value.empty()) return;
    source.Fail(key, absl::StrCat(source.Has(key) ? "must not be empty ("
                                                  : "required key is missing (",
                                  WhatFormatReads(out->format), ")"));
  };
  if (out->format == kIdx) {
    require("images", out->images_path);
    require("labels", out->labels_path);
  } else if (out->format == kCsv) {
    require("path", out->csv_path);
  }
}

}  // namespace fedge::config
