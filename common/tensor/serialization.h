#ifndef FEDGE_COMMON_TENSOR_SERIALIZATION_H_
#define FEDGE_COMMON_TENSOR_SERIALIZATION_H_

// The byte format of a parameter set, used for model downloads, update
// uploads and checkpoint files:
//
//   "FEDGEPS1"            8-byte magic
//   header length         uint32, little-endian
//   header                fedge.v1.ParameterSetHeader (protobuf)
//   values                float32, little-endian, entries in header order
//
// The values' size must equal what the header's shapes describe exactly, so
// a truncated or padded blob is rejected rather than misread.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tensor/parameter_set.h"

namespace fedge::tensor {

inline constexpr absl::string_view kSerializationMagic = "FEDGEPS1";

// Serializes `params`.
std::string Serialize(const ParameterSet& params);

// Parses a blob. InvalidArgument (saying what is wrong) on a bad magic, a
// malformed header, an unsupported dtype or a size mismatch.
absl::StatusOr<ParameterSet> Deserialize(absl::string_view bytes);

// The exact serialized size of a parameter set with `specs`.
size_t SerializedSize(const std::vector<TensorSpec>& specs);

}  // namespace fedge::tensor

#endif  // FEDGE_COMMON_TENSOR_SERIALIZATION_H_
