#include "common/data/data_source.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/data/partition_noise.h"
#include "common/util/status_macros.h"

namespace fedge::data {
namespace {

absl::StatusOr<Dataset> ReadFormat(const DataSource& source) {
  if (source.format == "fashion_mnist") {
    return ReadFashionMnist(source.dir, source.split);
  }
  if (source.format == "idx") {
    if (source.images_path.empty() || source.labels_path.empty()) {
      return absl::InvalidArgumentError(
          "data format \"idx\" needs both data.images_path and "
          "data.labels_path");
    }
    return ReadIdx(source.images_path, source.labels_path);
  }
  if (source.format == "csv") {
    if (source.csv_path.empty()) {
      return absl::InvalidArgumentError(
          "data format \"csv\" needs data.csv_path");
    }
    return ReadCsv(source.csv_path, source.csv);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown data.format \"", source.format,
                   "\": use one of fashion_mnist, idx, csv"));
}

}  // namespace

absl::StatusOr<Dataset> LoadDataSource(const DataSource& source) {
  // Check the partition before reading: a bad index should not cost a read.
  if (source.partition.has_value() &&
      source.partition->index >= source.partition->spec.count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data.partition.index ", source.partition->index,
        " is out of range for data.partition.count ",
        source.partition->spec.count, "; use 0..",
        source.partition->spec.count == 0 ? 0
                                          : source.partition->spec.count - 1));
  }
  FEDGE_ASSIGN_OR_RETURN(Dataset dataset, ReadFormat(source));
  if (!source.partition.has_value()) return dataset;

  // Partition the whole data set's labels, so every process that names the
  // same spec computes the same split, then keep only this client's part
  // (with the scheme's feature noise, if it has any).
  const DataSource::PartitionRef& ref = *source.partition;
  FEDGE_ASSIGN_OR_RETURN(
      std::vector<std::vector<size_t>> parts,
      Partition(dataset.labels, dataset.num_classes, ref.spec));
  Dataset part = dataset.Subset(parts[ref.index]);
  FEDGE_RETURN_IF_ERROR(ApplyPartitionNoise(ref.spec, ref.index, &part));
  return part;
}

}  // namespace fedge::data
