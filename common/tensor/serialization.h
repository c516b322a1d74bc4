#ifndef FEDGE_COMMON_TENSOR_SERIALIZATION_H_
#define FEDGE_COMMON_TENSOR_SERIALIZATION_H_

// The byte format of a parameter set, used for model downloads, update
// uploads and checkpoint files:
//
//   "FEDGEPS1"            8-byte magic
//   header length         uint32, little-endian
//   header                fedge.v1.ParameterSetHeader (protobuf)
//   padding               zero bytes up to the next multiple of 16
//   values                float32, little-endian, entries in header order
//
// The values' size must equal what the header's shapes describe exactly, so
// a truncated or padded blob is rejected rather than misread. The padding
// aligns the values, so a receiver can use them where they arrived.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tensor/parameter_set.h"

namespace fedge::tensor {

inline constexpr absl::string_view kSerializationMagic = "FEDGEPS1";

// Serializes `params`.
std::string Serialize(const ParameterSet& params);

// Parses a blob into an owned parameter set. InvalidArgument (saying what is
// wrong) on a bad magic, a malformed header, an unsupported dtype, non-zero
// padding or a size mismatch.
absl::StatusOr<ParameterSet> Deserialize(absl::string_view bytes);

// Parses a blob without copying its values: the view points into `bytes`,
// which must outlive it. Same checks as Deserialize; also InvalidArgument if
// `bytes` does not start at a 4-byte aligned address (std::string buffers
// always do).
absl::StatusOr<ParameterSetView> ParseView(absl::string_view bytes);

// The exact serialized size of a parameter set with `specs`.
size_t SerializedSize(const std::vector<TensorSpec>& specs);

}  // namespace fedge::tensor

#endif  // FEDGE_COMMON_TENSOR_SERIALIZATION_H_
