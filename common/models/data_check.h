#ifndef FEDGE_COMMON_MODELS_DATA_CHECK_H_
#define FEDGE_COMMON_MODELS_DATA_CHECK_H_

// Checks that a data set can be fed to a model, before any LibTorch call, so
// that a mismatch is reported as a clear error rather than a torch exception.
// No LibTorch in this header.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/data/dataset.h"
#include "common/models/model_spec.h"

namespace fedge::models {

// OK if `data` is non-empty, its example_shape equals spec.input_shape, it
// holds exactly size() × example_size feature values, and every label is in
// [0, spec.num_classes). Otherwise InvalidArgument starting with `what`
// ("training data", "evaluation data") and saying what to change.
absl::Status CheckDatasetFitsModel(const ModelSpec& spec,
                                   const data::Dataset& data,
                                   absl::string_view what);

// "[1, 28, 28]".
std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace fedge::models

#endif  // FEDGE_COMMON_MODELS_DATA_CHECK_H_
