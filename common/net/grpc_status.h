#ifndef FEDGE_COMMON_NET_GRPC_STATUS_H_
#define FEDGE_COMMON_NET_GRPC_STATUS_H_

// absl::Status <-> grpc::Status. The codes are the same numbers by design
// (both follow google.rpc.Code).

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace fedge::net {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace fedge::net

#endif  // FEDGE_COMMON_NET_GRPC_STATUS_H_
