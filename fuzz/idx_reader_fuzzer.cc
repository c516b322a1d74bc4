// Feeds hostile IDX files (common/data/idx_reader.h), raw or gzip (the
// reader detects the gzip magic), to ReadIdx. A dataset file is outside
// bytes: a client reads what its operator downloaded.
//
// Input: u16 length and the image file's bytes, then the label file's
// bytes. Checks: an accepted dataset has one label per example, every label
// below num_classes, example_shape {1, rows, cols}, features sized examples
// × rows × cols, every pixel in [0, 1].

#include <cstdint>
#include <string>

#include "common/data/idx_reader.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fedge::fuzz::FuzzInput in(data, size);
  const std::string dir = fedge::fuzz::TempDir();
  const std::string images = dir + "/images-idx3-ubyte";
  const std::string labels = dir + "/labels-idx1-ubyte";
  fedge::fuzz::WriteFileOrDie(images, in.LengthPrefixed());
  fedge::fuzz::WriteFileOrDie(labels, in.Rest());

  absl::StatusOr<fedge::data::Dataset> set =
      fedge::data::ReadIdx(images, labels);
  if (!set.ok()) return 0;
  FEDGE_FUZZ_CHECK(set->example_shape.size() == 3);
  FEDGE_FUZZ_CHECK(set->example_shape[0] == 1);
  FEDGE_FUZZ_CHECK(set->features.size() ==
                   set->size() * static_cast<size_t>(set->example_shape[1] *
                                                     set->example_shape[2]));
  FEDGE_FUZZ_CHECK(
      set->example_size() ==
      static_cast<size_t>(set->example_shape[1] * set->example_shape[2]));
  for (int64_t label : set->labels) {
    FEDGE_FUZZ_CHECK(label >= 0 && label < set->num_classes);
  }
  for (float v : set->features) FEDGE_FUZZ_CHECK(v >= 0.0f && v <= 1.0f);
  return 0;
}
