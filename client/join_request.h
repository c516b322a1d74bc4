#ifndef FEDGE_CLIENT_JOIN_REQUEST_H_
#define FEDGE_CLIENT_JOIN_REQUEST_H_

// What a client says about itself when it joins (capabilities, region,
// the consent its owner gave, and how much data it holds: counts and
// sizes, never the data), and which answers mean it should not try again.

#include <string>

#include "absl/status/status.h"
#include "common/config/client_config.h"
#include "common/data/dataset.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::client {

v1::JoinRequest MakeJoinRequest(const std::string& region,
                                const config::ConsentConfig& consent,
                                const v1::DataFootprint& data);

// `examples` examples of `example_size` features each, as a device holds
// them in memory (float32 features and an int64 label per example).
v1::DataFootprint FootprintOf(uint64_t examples, uint64_t example_size);
v1::DataFootprint FootprintOf(const data::Dataset& data);

// Whether `status` (from joining or serving the task stream) says the
// server refused this client for good (PermissionDenied,
// FailedPrecondition, InvalidArgument, Unauthenticated): retrying cannot
// help.
bool IsPermanentRefusal(const absl::Status& status);

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_JOIN_REQUEST_H_
