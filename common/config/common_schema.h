#ifndef FEDGE_COMMON_CONFIG_COMMON_SCHEMA_H_
#define FEDGE_COMMON_CONFIG_COMMON_SCHEMA_H_

// Schema pieces shared by several config files: a model spec and a data
// source. Each reads one mapping into an existing value (whose fields are
// the defaults) and records every problem in the reader's document.

#include "common/config/yaml_reader.h"
#include "common/data/data_source.h"
#include "common/models/model_spec.h"

namespace fedge::config {

// {kind: mlp|cnn|torchscript, torchscript: PATH, input_shape: [..],
//  num_classes: N >= 2, seed: N}. kind torchscript requires torchscript;
// the built-in kinds do not accept it.
void ReadModelSpec(MapReader model, models::ModelSpec* spec);

// {format: fashion_mnist|idx|csv, dir, split: train|test, images, labels,
//  path, label_column, has_header, example_shape, num_classes,
//  feature_scale, partition: {index, count, scheme: iid|dirichlet|
//  labels_per_client|quantity_skew|shards|feature_noise, alpha, seed,
//  min_size, labels_per_client, shards_per_client, noise_sigma}}. A key that
// belongs to another format than the one chosen is an error saying which
// format it belongs to; idx requires images and labels, csv requires path.
// A partition requires index < count; the scheme parameters are only
// accepted with their schemes: alpha (> 0) and min_size with dirichlet or
// quantity_skew, labels_per_client (>= 1) with labels_per_client,
// shards_per_client (>= 1) with shards, noise_sigma (>= 0) with
// feature_noise.
void ReadDataSource(MapReader source, data::DataSource* out);

// A partition's scheme and its parameters (the keys of `partition` other
// than index and count), with the per-scheme key rules.
void ReadPartitionSpec(MapReader partition, data::PartitionSpec* spec);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_COMMON_SCHEMA_H_
