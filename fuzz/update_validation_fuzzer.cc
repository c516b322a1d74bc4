// Feeds a hostile upload to the server's checks (server/update_validation.h):
// an UpdateHeader proto (the stream's first chunk) and the reassembled
// bytes, against a fixed expectation (round 3, model version 2, a two-tensor
// layout). Checks that an accepted update has exactly the expected layout,
// only finite values and the expected size, and that an accepted header
// matches round and version and does not exceed the model's size.
//
// Input: u16 header length, header bytes, then the update's bytes.

#include <cmath>
#include <cstdint>
#include <string>

#include "common/tensor/serialization.h"
#include "fedge/v1/federation.pb.h"
#include "fuzz/fuzz_support.h"
#include "server/update_validation.h"

namespace {

const fedge::server::UpdateExpectation& Expectation() {
  static const auto* expected = [] {
    auto* e = new fedge::server::UpdateExpectation;
    e->round = 3;
    e->model_version = 2;
    e->layout = {{"fc.weight", {2, 3}}, {"fc.bias", {3}}};
    e->size_bytes = fedge::tensor::SerializedSize(e->layout);
    return e;
  }();
  return *expected;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fedge::fuzz::FuzzInput in(data, size);
  const fedge::server::UpdateExpectation& expected = Expectation();

  absl::string_view header_bytes = in.LengthPrefixed();
  fedge::v1::UpdateHeader header;
  if (header.ParseFromArray(header_bytes.data(),
                            static_cast<int>(header_bytes.size()))) {
    absl::Status s = fedge::server::CheckUpdateHeader(header, expected);
    if (s.ok()) {
      FEDGE_FUZZ_CHECK(header.round() == expected.round);
      FEDGE_FUZZ_CHECK(header.model_version() == expected.model_version);
      FEDGE_FUZZ_CHECK(header.total_size() <= expected.size_bytes);
      FEDGE_FUZZ_CHECK(header.sha256().size() == 32);
    }
  }

  const std::string bytes(in.Rest());
  auto update = fedge::server::ParseUpdate(bytes, expected);
  if (!update.ok()) {
    FEDGE_FUZZ_CHECK(update.status().code() ==
                     absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FEDGE_FUZZ_CHECK(bytes.size() == expected.size_bytes);
  FEDGE_FUZZ_CHECK(update->specs == expected.layout);
  FEDGE_FUZZ_CHECK(update->values.size() == 9);
  for (float v : update->values) FEDGE_FUZZ_CHECK(std::isfinite(v));
  return 0;
}
