#include "server/update_validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/tensor/serialization.h"
#include "common/util/status_macros.h"

namespace fedge::server {

absl::Status CheckUpdateHeader(const v1::UpdateHeader& header,
                               const UpdateExpectation& expected) {
  if (header.round() != expected.round) {
    return absl::FailedPreconditionError(
        absl::StrCat("update is for round ", header.round(), " but round ",
                     expected.round, " is open"));
  }
  if (header.model_version() != expected.model_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "update was trained from model version ", header.model_version(),
        " but round ", expected.round, " distributes version ",
        expected.model_version));
  }
  if (header.total_size() > expected.size_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("update of ", header.total_size(),
                     " bytes is larger than the model (", expected.size_bytes,
                     " bytes)"));
  }
  if (header.sha256().size() != 32) {
    return absl::InvalidArgumentError(
        "update header must carry the 32-byte SHA-256 of the update");
  }
  return absl::OkStatus();
}

absl::StatusOr<tensor::ParameterSet> ParseUpdate(
    absl::string_view bytes, const UpdateExpectation& expected) {
  auto parsed = tensor::Deserialize(bytes);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update is not a valid parameter set: ",
                     parsed.status().message()));
  }
  absl::Status layout = tensor::CheckSameLayout(expected.layout, parsed->specs());
  if (!layout.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update does not match the model: ", layout.message()));
  }
  for (size_t t = 0; t < parsed->num_tensors(); ++t) {
    absl::Span<const float> values = parsed->tensor(t);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "update contains ", std::isnan(values[i]) ? "NaN" : "Inf",
            " at element ", i, " of ", parsed->specs()[t].name));
      }
    }
  }
  return parsed;
}

}  // namespace fedge::server
