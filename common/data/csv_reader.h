#ifndef FEDGE_COMMON_DATA_CSV_READER_H_
#define FEDGE_COMMON_DATA_CSV_READER_H_

// Tabular data from CSV: one example a row, one column the integer class
// label, every other column a numeric feature.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/data/dataset.h"

namespace fedge::data {

struct CsvOptions {
  // Zero-based index of the label column; -1 means the last column.
  int label_column = 0;
  // Skip the first line.
  bool has_header = true;
  // Shape of one example; empty means {number of feature columns}. Its
  // product must equal the number of feature columns.
  std::vector<int64_t> example_shape;
  // 0: max label + 1.
  int64_t num_classes = 0;
  // Multiplies every feature (e.g. 1/255 for pixel data).
  float feature_scale = 1.0f;
};

// Errors name the file, the line (1-based) and the column: a non-numeric
// value, a row with a different number of columns, a negative or
// non-integer label, a label >= num_classes.
absl::StatusOr<Dataset> ReadCsv(const std::string& path,
                                const CsvOptions& options);

}  // namespace fedge::data

#endif  // FEDGE_COMMON_DATA_CSV_READER_H_
