#include "server/unary.h"

#include "common/net/grpc_status.h"

namespace fedge::server {

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(net::ToGrpcStatus(status));
  return reactor;
}

}  // namespace fedge::server
