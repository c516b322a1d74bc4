#ifndef FEDGE_SERVER_ADMIN_SERVICE_H_
#define FEDGE_SERVER_ADMIN_SERVICE_H_

// The operator API (fedge.v1.Admin). Every call must come from an admin
// certificate of the federation; device certificates get PERMISSION_DENIED.

#include <functional>
#include <string>

#include "common/util/clock.h"
#include "fedge/v1/admin.grpc.pb.h"
#include "server/audit_trail.h"
#include "server/authenticator.h"
#include "server/run_state.h"
#include "server/session_registry.h"
#include "server/store.h"

namespace fedge::server {

class AdminService final : public v1::Admin::CallbackService {
 public:
  // `stop_run` asks the round driver to stop (with a reason).
  AdminService(std::string run_id, const Authenticator* authenticator,
               Store* store, SessionRegistry* sessions, RunState* run,
               AuditTrail* audit, util::Clock* clock,
               std::function<void(const std::string&)> stop_run);

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::RunStatus* response) override;
  grpc::ServerUnaryReactor* ListClients(
      grpc::CallbackServerContext* context,
      const v1::ListClientsRequest* request,
      v1::ListClientsResponse* response) override;
  grpc::ServerUnaryReactor* StopRun(grpc::CallbackServerContext* context,
                                    const v1::StopRunRequest* request,
                                    v1::StopRunResponse* response) override;
  grpc::ServerUnaryReactor* RevokeClient(
      grpc::CallbackServerContext* context,
      const v1::RevokeClientRequest* request,
      v1::RevokeClientResponse* response) override;
  grpc::ServerUnaryReactor* EraseClient(
      grpc::CallbackServerContext* context,
      const v1::EraseClientRequest* request,
      v1::EraseClientResponse* response) override;

 private:
  // Revokes `client_id` (store, revocation list, session, open round);
  // returns whether it was connected. `reason` says who and why.
  absl::StatusOr<bool> Revoke(const std::string& client_id,
                              const std::string& reason);
  absl::Status DoRevoke(const std::string& admin,
                        const v1::RevokeClientRequest& request,
                        v1::RevokeClientResponse* response);
  absl::Status DoErase(const std::string& admin,
                       const v1::EraseClientRequest& request,
                       v1::EraseClientResponse* response);
  // Logs an admin's action; Unavailable if the log cannot be written.
  absl::Status Audit(const std::string& admin, v1::AuditEvent event);
  absl::Status DoListClients(v1::ListClientsResponse* response);

  const std::string run_id_;
  const Authenticator* const authenticator_;
  Store* const store_;
  SessionRegistry* const sessions_;
  RunState* const run_;
  AuditTrail* const audit_;
  util::Clock* const clock_;
  std::function<void(const std::string&)> stop_run_;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_ADMIN_SERVICE_H_
