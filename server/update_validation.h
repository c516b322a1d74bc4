#ifndef FEDGE_SERVER_UPDATE_VALIDATION_H_
#define FEDGE_SERVER_UPDATE_VALIDATION_H_

// Checks on an uploaded weight update, before anything of it reaches the
// aggregate. Each failure has its own status code and a message naming what
// was wrong, because the client (and the operator reading the log) must be
// able to tell a stale round from a corrupted upload.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tensor/parameter_set.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::server {

struct UpdateExpectation {
  uint64_t round = 0;
  uint64_t model_version = 0;
  std::vector<tensor::TensorSpec> layout;
  // Exact serialized size of an update with `layout`.
  uint64_t size_bytes = 0;
};

// Checks the header of an upload stream (its first chunk):
//   another round or model version        → FailedPrecondition
//   declared size above the model's size  → ResourceExhausted
//   missing digest                        → InvalidArgument
absl::Status CheckUpdateHeader(const v1::UpdateHeader& header,
                               const UpdateExpectation& expected);

// Parses the reassembled bytes and checks them:
//   not a parameter set, wrong size        → InvalidArgument
//   tensor names or shapes differ          → InvalidArgument naming the tensor
//   NaN or Inf anywhere                    → InvalidArgument naming the element
// The result points into `bytes`, which must outlive it.
absl::StatusOr<tensor::ParameterSetView> ParseUpdate(
    absl::string_view bytes, const UpdateExpectation& expected);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_UPDATE_VALIDATION_H_
