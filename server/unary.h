#ifndef FEDGE_SERVER_UNARY_H_
#define FEDGE_SERVER_UNARY_H_

// Completing a unary call of gRPC's callback API with an absl::Status.

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"

namespace fedge::server {

// Finishes the call of `context` at once with `status` (translated by
// net::ToGrpcStatus) and returns the reactor a callback method must return.
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_UNARY_H_
