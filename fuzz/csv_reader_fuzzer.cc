// Feeds hostile CSV files (common/data/csv_reader.h) to ReadCsv with
// options drawn from the input (label column, header, example shape,
// class count, scale). Checks: an accepted dataset has one label per row,
// labels in [0, num_classes), features of rows × example size, and an
// example shape whose product is the feature count.
//
// Input: u8 flags, u8 label column, u8 class count, then the file.
// Flags bit 0: has a header; bit 1: label column is -1 (last); bit 2: an
// explicit example shape {2, columns / 2}.

#include <cstdint>
#include <functional>
#include <numeric>
#include <string>

#include "common/data/csv_reader.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fedge::fuzz::FuzzInput in(data, size);
  fedge::data::CsvOptions options;
  const uint8_t flags = in.U8();
  options.has_header = (flags & 1) != 0;
  options.label_column = (flags & 2) != 0 ? -1 : in.U8() % 8;
  options.num_classes = in.U8() % 16;
  options.feature_scale = (flags & 8) != 0 ? 1.0f / 255 : 1.0f;
  if ((flags & 4) != 0) options.example_shape = {2, (flags >> 4) + 1};
  const std::string path = fedge::fuzz::TempDir() + "/data.csv";
  fedge::fuzz::WriteFileOrDie(path, in.Rest());

  absl::StatusOr<fedge::data::Dataset> set =
      fedge::data::ReadCsv(path, options);
  if (!set.ok()) {
    FEDGE_FUZZ_CHECK(set.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const int64_t example =
      std::accumulate(set->example_shape.begin(), set->example_shape.end(),
                      int64_t{1}, std::multiplies<int64_t>());
  FEDGE_FUZZ_CHECK(example >= 0);
  FEDGE_FUZZ_CHECK(set->example_size() == static_cast<size_t>(example));
  FEDGE_FUZZ_CHECK(set->features.size() == set->size() * set->example_size());
  if (options.num_classes > 0) {
    FEDGE_FUZZ_CHECK(set->num_classes == options.num_classes);
  }
  for (int64_t label : set->labels) {
    FEDGE_FUZZ_CHECK(label >= 0 && label < set->num_classes);
  }
  return 0;
}
