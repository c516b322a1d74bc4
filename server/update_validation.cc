#include "server/update_validation.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/tensor/serialization.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

// True if any value is NaN or infinite: its exponent bits are all ones. One
// branch-free pass over the bits, so the compiler vectorises it.
bool AnyNonFinite(absl::Span<const float> values) {
  uint32_t bad = 0;
  for (float v : values) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    bad |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return bad != 0;
}

// InvalidArgument naming the first NaN or Inf, if there is one.
absl::Status CheckFinite(const tensor::ParameterSetView& params) {
  if (!AnyNonFinite(params.values)) return absl::OkStatus();
  for (size_t t = 0; t < params.num_tensors(); ++t) {
    absl::Span<const float> values = params.tensor(t);
    for (size_t i = 0; i < values.size(); ++i) {
      if (!std::isfinite(values[i])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "update contains ", std::isnan(values[i]) ? "NaN" : "Inf",
            " at element ", i, " of ", params.specs[t].name));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckUpdateHeader(const v1::UpdateHeader& header,
                               const UpdateExpectation& expected) {
  if (header.round() != expected.round) {
    return absl::FailedPreconditionError(
        absl::StrCat("update is for round ", header.round(), " but round ",
                     expected.round, " is open"));
  }
  if (header.model_version() != expected.model_version) {
    return absl::FailedPreconditionError(
        absl::StrCat("update was trained from model version ",
                     header.model_version(), " but round ", expected.round,
                     " distributes version ", expected.model_version));
  }
  if (header.total_size() > expected.size_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "update of ", header.total_size(), " bytes is larger than the model (",
        expected.size_bytes, " bytes)"));
  }
  if (header.sha256().size() != 32) {
    return absl::InvalidArgumentError(
        "update header must carry the 32-byte SHA-256 of the update");
  }
  return absl::OkStatus();
}

absl::StatusOr<tensor::ParameterSetView> ParseUpdate(
    absl::string_view bytes, const UpdateExpectation& expected) {
  auto parsed = tensor::ParseView(bytes);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "update is not a valid parameter set: ", parsed.status().message()));
  }
  absl::Status layout = tensor::CheckSameLayout(expected.layout, parsed->specs);
  if (!layout.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("update does not match the model: ", layout.message()));
  }
  if (absl::Status finite = CheckFinite(*parsed); !finite.ok()) return finite;
  return parsed;
}

}  // namespace fedge::server
