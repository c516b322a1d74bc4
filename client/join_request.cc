#include "client/join_request.h"

#include <thread>

#include "common/net/proto_time.h"

namespace fedge::client {

v1::JoinRequest MakeJoinRequest(const std::string& region,
                                const config::ConsentConfig& consent,
                                const v1::DataFootprint& data) {
  v1::JoinRequest join;
  *join.mutable_data() = data;
  join.set_region(region);
  join.mutable_consent()->set_purpose_id(consent.purpose_id);
  join.mutable_consent()->set_consent_version(consent.version);
  net::ToProtoTimestamp(consent.given_at,
                        join.mutable_consent()->mutable_given_at());
  v1::Capabilities* caps = join.mutable_capabilities();
  caps->set_runtime_version(FEDGE_VERSION_STRING);
  caps->set_cpu_cores(std::thread::hardware_concurrency());
  caps->add_model_formats("builtin");
  caps->add_model_formats("torchscript");
  return join;
}

v1::DataFootprint FootprintOf(uint64_t examples, uint64_t example_size) {
  v1::DataFootprint footprint;
  footprint.set_examples(examples);
  footprint.set_bytes(examples *
                      (example_size * sizeof(float) + sizeof(int64_t)));
  return footprint;
}

v1::DataFootprint FootprintOf(const data::Dataset& data) {
  return FootprintOf(data.size(), data.example_size());
}

bool IsPermanentRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

}  // namespace fedge::client
