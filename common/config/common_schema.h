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
//  feature_scale, partition: {index, count, scheme: iid|dirichlet, alpha,
//  seed, min_size}}. A key that belongs to another format than the one
// chosen is an error saying which format it belongs to; idx requires images
// and labels, csv requires path. A partition requires index < count; alpha
// (> 0) is only for scheme dirichlet.
void ReadDataSource(MapReader source, data::DataSource* out);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_COMMON_SCHEMA_H_
