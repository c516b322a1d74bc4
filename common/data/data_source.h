#ifndef FEDGE_COMMON_DATA_DATA_SOURCE_H_
#define FEDGE_COMMON_DATA_DATA_SOURCE_H_

// Where a process gets its local data from, as written in its config.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/data/csv_reader.h"
#include "common/data/dataset.h"
#include "common/data/idx_reader.h"
#include "common/data/partition.h"

namespace fedge::data {

struct DataSource {
  // "fashion_mnist", "idx" or "csv".
  std::string format = "fashion_mnist";
  // fashion_mnist: the directory and split ("train" / "test").
  std::string dir = kDefaultFashionMnistDir;
  std::string split = "train";
  // idx: the two files.
  std::string images_path;
  std::string labels_path;
  // csv: the file and how to read it.
  std::string csv_path;
  CsvOptions csv;
  // Keep only this client's part of the data set.
  struct PartitionRef {
    size_t index = 0;
    PartitionSpec spec;
  };
  std::optional<PartitionRef> partition;
};

// Reads the data set and, if a partition is named, keeps only that part
// (for scheme feature_noise, with its noise added: ApplyPartitionNoise).
// Errors say which file or setting is at fault.
absl::StatusOr<Dataset> LoadDataSource(const DataSource& source);

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_DATA_SOURCE_H_
