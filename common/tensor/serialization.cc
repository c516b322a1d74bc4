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
constexpr size_t kValueAlignment = 16;

// Zero bytes after a header of `header_len` bytes, so that the values start
// at a multiple of kValueAlignment.
size_t PaddingAfter(size_t header_len) {
  size_t used = kSerializationMagic.size() + kHeaderLengthBytes + header_len;
  return (kValueAlignment - used % kValueAlignment) % kValueAlignment;
}

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
  size_t header = MakeHeader(specs).ByteSizeLong();
  return kSerializationMagic.size() + kHeaderLengthBytes + header +
         PaddingAfter(header) + values;
}

std::string Serialize(const ParameterSet& params) {
  std::string header = MakeHeader(params.specs()).SerializeAsString();
  std::string out;
  const size_t padding = PaddingAfter(header.size());
  out.reserve(kSerializationMagic.size() + kHeaderLengthBytes + header.size() +
              padding + params.num_bytes());
  out.append(kSerializationMagic.data(), kSerializationMagic.size());
  char len[kHeaderLengthBytes];
  absl::little_endian::Store32(len, static_cast<uint32_t>(header.size()));
  out.append(len, kHeaderLengthBytes);
  out.append(header);
  out.append(padding, '\0');
  out.append(reinterpret_cast<const char*>(params.values().data()),
             params.num_bytes());
  return out;
}

namespace {

// A checked blob: its specs and the bytes of its values.
struct ParsedBlob {
  std::vector<TensorSpec> specs;
  absl::string_view value_bytes;
  size_t num_elements = 0;
};

absl::StatusOr<ParsedBlob> ParseBlob(absl::string_view bytes) {
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
  const size_t padding = PaddingAfter(header_len);
  if (bytes.size() < padding) {
    return absl::InvalidArgumentError(
        "parameter set ends inside the padding after its header");
  }
  for (size_t i = 0; i < padding; ++i) {
    if (bytes[i] != '\0') {
      return absl::InvalidArgumentError(
          "parameter set has non-zero padding after its header");
    }
  }
  bytes.remove_prefix(padding);

  ParsedBlob blob;
  blob.specs.reserve(header.tensors_size());
  int64_t total = 0;
  for (const v1::TensorSpec& t : header.tensors()) {
    if (t.dtype() != v1::DTYPE_FLOAT32) {
      // A dtype this build does not know has no name: give its number.
      const std::string& name = v1::DType_Name(t.dtype());
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor ", t.name(), " has dtype ",
          name.empty() ? absl::StrCat(static_cast<int>(t.dtype())) : name,
          "; fedge exchanges float32 only"));
    }
    TensorSpec spec{t.name(), {t.shape().begin(), t.shape().end()}};
    int64_t n = 1;
    for (int64_t d : spec.shape) {
      if (d < 0 || (d > 0 && n > ParameterSet::kMaxElements / d)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor ", spec.DebugString(), " has an invalid shape"));
      }
      n *= d;
    }
    total += n;
    if (total > ParameterSet::kMaxElements) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter set exceeds ", ParameterSet::kMaxElements, " elements"));
    }
    blob.specs.push_back(std::move(spec));
  }
  const size_t expected = static_cast<size_t>(total) * sizeof(float);
  if (bytes.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter set holds ", bytes.size(),
                     " bytes of values but its header describes ", expected));
  }
  blob.value_bytes = bytes;
  blob.num_elements = static_cast<size_t>(total);
  return blob;
}

}  // namespace

absl::StatusOr<ParameterSetView> ParseView(absl::string_view bytes) {
  auto blob = ParseBlob(bytes);
  if (!blob.ok()) return blob.status();
  if (reinterpret_cast<uintptr_t>(blob->value_bytes.data()) % alignof(float) !=
      0) {
    return absl::InvalidArgumentError(
        "parameter set values are not aligned for float access; copy the "
        "bytes into a std::string first");
  }
  ParameterSetView view;
  view.specs = std::move(blob->specs);
  view.values = absl::MakeConstSpan(
      reinterpret_cast<const float*>(blob->value_bytes.data()),
      blob->num_elements);
  return view;
}

absl::StatusOr<ParameterSet> Deserialize(absl::string_view bytes) {
  auto blob = ParseBlob(bytes);
  if (!blob.ok()) return blob.status();
  std::vector<float> values(blob->num_elements);
  if (!values.empty()) {
    std::memcpy(values.data(), blob->value_bytes.data(),
                blob->value_bytes.size());
  }
  return ParameterSet::FromValues(std::move(blob->specs), std::move(values));
}

}  // namespace fedge::tensor
