#include "common/tensor/serialization.h"

#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "fedge/v1/tensor.pb.h"

namespace fedge::tensor {
namespace {

static_assert(sizeof(float) == 4, "float must be IEEE-754 binary32");
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fedge's tensor format is little-endian; add byte swapping for this CPU"
#endif

constexpr size_t kHeaderLengthBytes = 4;

v1::ParameterSetHeader MakeHeader(const std::vector<TensorSpec>& specs) {
  v1::ParameterSetHeader header;
  for (const TensorSpec& spec : specs) {
    v1::TensorSpec* out = header.add_tensors();
    out->set_name(spec.name);
    for (int64_t d : spec.shape) out->add_shape(d);
    out->set_dtype(v1::DTYPE_FLOAT32);
  }
  return header;
}

}  // namespace

size_t SerializedSize(const std::vector<TensorSpec>& specs) {
  size_t values = 0;
  for (const TensorSpec& spec : specs) {
    values += static_cast<size_t>(spec.NumElements()) * sizeof(float);
  }
  return kSerializationMagic.size() + kHeaderLengthBytes +
         MakeHeader(specs).ByteSizeLong() + values;
}

std::string Serialize(const ParameterSet& params) {
  std::string header = MakeHeader(params.specs()).SerializeAsString();
  std::string out;
  out.reserve(kSerializationMagic.size() + kHeaderLengthBytes + header.size() +
              params.num_bytes());
  out.append(kSerializationMagic.data(), kSerializationMagic.size());
  char len[kHeaderLengthBytes];
  absl::little_endian::Store32(len, static_cast<uint32_t>(header.size()));
  out.append(len, kHeaderLengthBytes);
  out.append(header);
  out.append(reinterpret_cast<const char*>(params.values().data()),
             params.num_bytes());
  return out;
}

absl::StatusOr<ParameterSet> Deserialize(absl::string_view bytes) {
  if (bytes.size() < kSerializationMagic.size() + kHeaderLengthBytes ||
      bytes.substr(0, kSerializationMagic.size()) != kSerializationMagic) {
    return absl::InvalidArgumentError(
        "not a fedge parameter set: the FEDGEPS1 magic is missing");
  }
  bytes.remove_prefix(kSerializationMagic.size());
  uint32_t header_len = absl::little_endian::Load32(bytes.data());
  bytes.remove_prefix(kHeaderLengthBytes);
  if (header_len > bytes.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter set header claims ", header_len,
                     " bytes but only ", bytes.size(), " follow"));
  }
  v1::ParameterSetHeader header;
  if (!header.ParseFromArray(bytes.data(), static_cast<int>(header_len))) {
    return absl::InvalidArgumentError("parameter set header is malformed");
  }
  bytes.remove_prefix(header_len);

  std::vector<TensorSpec> specs;
  specs.reserve(header.tensors_size());
  for (const v1::TensorSpec& t : header.tensors()) {
    if (t.dtype() != v1::DTYPE_FLOAT32) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor ", t.name(), " has dtype ", v1::DType_Name(t.dtype()),
          "; fedge exchanges float32 only"));
    }
    specs.push_back(TensorSpec{t.name(), {t.shape().begin(), t.shape().end()}});
  }
  auto zeros = ParameterSet::Zeros(std::move(specs));
  if (!zeros.ok()) return zeros.status();
  ParameterSet params = std::move(*zeros);
  if (bytes.size() != params.num_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter set holds ", bytes.size(),
                     " bytes of values but its header describes ",
                     params.num_bytes()));
  }
  if (!bytes.empty()) {
    std::memcpy(params.mutable_values().data(), bytes.data(), bytes.size());
  }
  return params;
}

}  // namespace fedge::tensor
