// Feeds arbitrary bytes to the parameter-set byte format
// (common/tensor/serialization.h): model downloads, update uploads and
// checkpoint files. Checks that Deserialize and ParseView agree, and that an
// accepted blob survives a round trip: Serialize gives exactly
// SerializedSize bytes that parse to the same specs and the same value bits.

#include <cstdint>
#include <cstring>
#include <string>

#include "common/tensor/serialization.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fedge::tensor;
  // A std::string, as the server holds an upload: aligned for ParseView.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ParameterSet> params = Deserialize(bytes);
  absl::StatusOr<ParameterSetView> view = ParseView(bytes);
  FEDGE_FUZZ_CHECK(params.ok() == view.ok());
  if (!params.ok()) {
    FEDGE_FUZZ_CHECK(params.status().code() ==
                     absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FEDGE_FUZZ_CHECK(view->specs == params->specs());
  FEDGE_FUZZ_CHECK(view->values.size() == params->num_elements());
  FEDGE_FUZZ_CHECK(params->num_elements() == 0 ||
                   std::memcmp(view->values.data(), params->values().data(),
                               params->num_bytes()) == 0);
  for (size_t i = 0; i < params->num_tensors(); ++i) {
    FEDGE_FUZZ_CHECK(view->tensor(i).size() == params->tensor(i).size());
  }

  const std::string again = Serialize(*params);
  FEDGE_FUZZ_CHECK(again.size() == SerializedSize(params->specs()));
  absl::StatusOr<ParameterSet> reparsed = Deserialize(again);
  FEDGE_FUZZ_CHECK(reparsed.ok());
  FEDGE_FUZZ_CHECK(reparsed->specs() == params->specs());
  FEDGE_FUZZ_CHECK(params->num_elements() == reparsed->num_elements());
  FEDGE_FUZZ_CHECK(params->num_elements() == 0 ||
                   std::memcmp(reparsed->values().data(),
                               params->values().data(),
                               params->num_bytes()) == 0);
  // The canonical form is a fixed point.
  FEDGE_FUZZ_CHECK(Serialize(*reparsed) == again);
  return 0;
}
