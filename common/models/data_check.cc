#include "common/models/data_check.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fedge::models {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

absl::Status CheckDatasetFitsModel(const ModelSpec& spec,
                                   const data::Dataset& data,
                                   absl::string_view what) {
  if (data.labels.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is empty: it needs at least one example"));
  }
  if (data.example_shape != spec.input_shape) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " has examples of shape ", ShapeString(data.example_shape),
        " but the model expects input_shape ", ShapeString(spec.input_shape),
        "; make the model's input_shape match the data"));
  }
  uint64_t example_size = 1;
  for (int64_t d : data.example_shape) example_size *= static_cast<uint64_t>(d);
  const uint64_t expected = example_size * data.labels.size();
  if (data.features.size() != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " holds ", data.features.size(), " feature values for ",
        data.labels.size(), " examples of shape ",
        ShapeString(data.example_shape), "; expected ", expected));
  }
  for (size_t i = 0; i < data.labels.size(); ++i) {
    const int64_t label = data.labels[i];
    if (label < 0 || label >= spec.num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": label ", label, " of example ", i, " is outside [0, ",
          spec.num_classes, "); the model's num_classes must be at least ",
          label < 0 ? std::string("1 and labels non-negative")
                    : absl::StrCat(label + 1)));
    }
  }
  return absl::OkStatus();
}

}  // namespace fedge::models
