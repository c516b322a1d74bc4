#ifndef FEDGE_CLIENT_JOIN_REQUEST_H_
#define FEDGE_CLIENT_JOIN_REQUEST_H_

// What a client says about itself when it joins (capabilities, region and
// the consent its owner gave; nothing about its data), and which answers
// mean it should not try again.

#include <string>

#include "absl/status/status.h"
#include "common/config/client_config.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::client {

v1::JoinRequest MakeJoinRequest(const std::string& region,
                                const config::ConsentConfig& consent);

// Whether `status` (from joining or serving the task stream) says the
// server refused this client for good (PermissionDenied,
// FailedPrecondition, InvalidArgument, Unauthenticated): retrying cannot
// help.
bool IsPermanentRefusal(const absl::Status& status);

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_JOIN_REQUEST_H_
